// format_term against real erl: one `erl -noshell` run prints
// io_lib:format("~0tp", [T]) for a corpus of terms written as Erlang source,
// and beamlink must print exactly the same for parse_term of that source.
// Pids, references, ports and closures are left out: erl cannot build them
// from literal syntax. Maps stay at 32 keys or fewer (erl prints bigger ones
// in hash order). If erl is missing this test fails; it never skips.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "beamlink/term_text.h"
#include "integration/support/subprocess.h"

namespace beamlink {
namespace {

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> terms = {
      // Integers.
      "42", "-17", "123456789012345678901234567890", "-98765432109876543210987654321098765",
      "16#FFFFFFFFFFFFFFFFFF", "$a",
      // Floats.
      "1.0", "0.1", "1.0e100", "1.5e-7", "123456.0", "1.0e15", "1.0e16", "0.0001", "1.0e-5", "-0.0",
      "3.141592653589793", "5.0e-324", "1.7976931348623157e308", "9007199254740992.0",
      "9007199254740991.0", "1230.0", "1200.0", "0.000123", "12345678901234567890.0",
      // Atoms.
      "ok", "'Ok'", "'and'", "'case'", "'hello world'", "'日本'", "é", "'Éa'", "aÉ", "'\\n'",
      "'\\x{7f}'", "'\\x{80}'", "'it\\'s'", "''", "maybe", "nonode@nohost", "'a-b'", "'_x'",
      // Strings and lists of integers.
      "\"abc\"", "\"a\\nb\\tc\\\"d\\\\e'f\"", "[8,9,10,11,12,13,27]", "[7]", "[127]", "\"日本\"",
      "[160]", "[16#10FFFF]", "[16#D800]", "[16#FFFE]", "\"\"", "[[]]", "[\"ab\",\"c\"]",
      "[97,133]", "[$a,1000]",
      // Binaries and bit strings.
      "<<>>", "<<\"abc\">>", "<<1,2>>", "<<\"é\"/utf8>>", "<<\"é\">>", "<<\"日本\"/utf8>>",
      "<<\"a\\n\\\"b\">>", "<<255>>", "<<1:3>>", "<<1,2,3:4>>", "<<\"abc\",1:3>>",
      "<<16#EF,16#BF,16#BE>>", "<<97,16#C3>>", "<<-1:16/little>>", "<<16#C4,16#A0>>",
      // Maps, tuples, improper lists, funs.
      "#{}", "#{a => 1, b => \"x\"}", "#{{a,b} => [1], 1 => 2, 1.0 => 3}", "#{-1 => -2}", "[1|2]",
      "[a,b|c]", "[1|<<1>>]", "{}", "{a}", "{-1,-1.5}", "{ok,[1,2,3]}", "[65,66|67]",
      "fun lists:map/2", "fun erlang:'+'/2", "{[{'EXIT',<<\"x\">>,#{k => [1.5|e]}}],\"nested\"}"};
  return terms;
}

std::string erl_script() {
  std::string script = "io:setopts(standard_io, [{encoding, unicode}]),\nTerms = [\n";
  for (size_t i = 0; i < corpus().size(); ++i) {
    script += (i == 0 ? "  " : ",\n  ") + corpus()[i];
  }
  script +=
      "],\nlists:foreach(fun(T) -> io:format(\"~ts~n\", [io_lib:format(\"~0tp\", [T])]) end, "
      "Terms),\nhalt().\n";
  return script;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

TEST(TermTextInterop, FormatTermPrintsWhatErlPrints) {
  // +pc unicode: ~tp prints Unicode strings as strings, as unicode_strings
  // does; +fnu: erl reads the -eval text as UTF-8 whatever the locale.
  auto result =
      testing::run_process({"erl", "-noshell", "+pc", "unicode", "+fnu", "-eval", erl_script()}, "",
                           std::chrono::milliseconds(60000));
  ASSERT_EQ(result.exit_code, 0) << "could not run erl (is erlang-base installed and erl on "
                                    "PATH?)\nstdout: "
                                 << result.out << "\nstderr: " << result.err;
  std::vector<std::string> erl_lines = lines_of(result.out);
  ASSERT_EQ(erl_lines.size(), corpus().size()) << result.out << result.err;
  for (size_t i = 0; i < corpus().size(); ++i) {
    auto term = parse_term(corpus()[i]);
    ASSERT_TRUE(term.has_value()) << corpus()[i] << ": " << term.error().to_string();
    EXPECT_EQ(format_term(*term), erl_lines[i]) << "source: " << corpus()[i];
  }
}

}  // namespace
}  // namespace beamlink
