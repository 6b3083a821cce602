// ETF against a real erl (OTP 25+): erl's term_to_binary output decodes to
// the expected terms and re-encodes to the same bytes, and what beamlink
// encodes, erl's binary_to_term reads as the term it builds itself.
// Two erl runs in all (no distribution, so no EPMD). A missing erl fails.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>

#include "beamlink/term_text.h"
#include "integration/etf_interop_corpus.h"
#include "integration/support/subprocess.h"

namespace beamlink {
// Readable gtest failure messages.
void PrintTo(const Term& term, std::ostream* out) {
  std::string text = format_term(term);
  *out << (text.size() > 400 ? text.substr(0, 400) + "..." : text);
}
}  // namespace beamlink

namespace beamlink::etf::interop {
namespace {

using namespace std::chrono_literals;
using Bytes8 = std::vector<uint8_t>;

std::string hex(const Bytes8& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Bytes8 unhex(std::string_view text) {
  Bytes8 out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

void expect_local_node(const Atom& node) {
  EXPECT_EQ(node.name, "nonode@nohost");
}

std::vector<FromErl> from_erl_cases() {
  EncodeOptions compressed;
  compressed.compress = true;
  EncodeOptions compressed9 = compressed;
  compressed9.compression_level = 9;
  std::vector<Term> long_list(70000, Term(97));
  auto closure_check = [](size_t min_free) {
    return [min_free](const Term& t, const ErlFacts& facts) {
      ASSERT_TRUE(t.is<Closure>());
      const Closure& fun = t.as<Closure>();
      EXPECT_EQ(fun.module, Atom("erl_eval"));
      EXPECT_EQ(fun.arity, 1);
      EXPECT_GE(fun.free_vars.size(), min_free);
      expect_local_node(fun.pid.node);
      // facts: NewIndex,NewUniqHex,Index,Uniq,Arity from erlang:fun_info.
      std::string uniq = hex(Bytes8(fun.uniq.begin(), fun.uniq.end()));
      std::string want = std::to_string(fun.index) + "," + uniq + "," +
                         std::to_string(fun.old_index) + "," + std::to_string(fun.old_uniq) + "," +
                         std::to_string(fun.arity);
      EXPECT_EQ(facts.text, want);
    };
  };
  return {
      {"small_int", "42", Term(42)},
      {"neg_int", "-1", Term(-1)},
      {"int32_max", "2147483647", Term(2147483647)},
      {"int32_min", "-2147483648", Term(int64_t{INT32_MIN})},
      {"big_40", "1 bsl 40", Term(int64_t{1} << 40)},
      {"big_neg_40", "-(1 bsl 40)", Term(-(int64_t{1} << 40))},
      {"int64_min", "-9223372036854775808", Term(INT64_MIN)},
      {"int64_max", "9223372036854775807", Term(INT64_MAX)},
      {"big_64", "1 bsl 64", power_of_two(64)},
      {"big_neg_100", "-(1 bsl 100)", power_of_two(100, true)},
      {"large_big", "1 bsl 2100", power_of_two(2100)},
      {"large_big_neg", "-(1 bsl 2100)", power_of_two(2100, true)},
      {"float", "1.5", Term(1.5)},
      {"float_pi", "3.141592653589793", Term(3.141592653589793)},
      {"float_huge", "-1.0e300", Term(-1.0e300)},
      {"float_tiny", "5.0e-324", Term(5.0e-324)},
      {"atom", "ok", atom("ok")},
      {"atom_empty", "''", atom("")},
      {"atom_unicode", "binary_to_atom(<<240,159,152,128,195,165>>, utf8)",
       atom("\xF0\x9F\x98\x80\xC3\xA5")},
      {"atom_255", "list_to_atom(lists:duplicate(255, $x))", atom(std::string(255, 'x'))},
      {"atom_utf8_long", "binary_to_atom(binary:copy(<<226,130,172>>, 100), utf8)",
       atom(repeat("\xE2\x82\xAC", 100))},
      {"tuple_empty", "{}", tuple({})},
      {"tuple", "{1, a, \"s\"}", tuple({Term(1), atom("a"), Term::string("s")})},
      {"tuple_large", "erlang:make_tuple(300, x)", tuple(std::vector<Term>(300, atom("x")))},
      {"nil", "[]", Term::nil()},
      {"string", "\"hello\"", Term::string("hello")},
      {"list", "[1, 300, a]", list({Term(1), Term(300), atom("a")})},
      {"improper", "[1, 2 | three]", Term::improper_list({Term(1), Term(2)}, atom("three"))},
      {"long_string", "lists:duplicate(70000, $a)", list(long_list)},
      {"unicode_string", "[1000, 2000]", list({Term(1000), Term(2000)})},
      {"binary", "<<1,2,3>>", Term::binary("\x01\x02\x03")},
      {"binary_empty", "<<>>", Term::binary("")},
      {"bits", "<<1,2,3:4>>", Term(BitString{Bytes::copy(std::string_view("\x01\x02\x30")), 4})},
      {"bits_one", "<<1:1>>", Term(BitString{Bytes::copy(std::string_view("\x80")), 1})},
      {"map_empty", "#{}", Term::map({})},
      {"map_one", "#{a => 1}", Term::map({{atom("a"), Term(1)}})},
      {"map_mixed", "#{1 => a, 1.0 => b, \"k\" => [], {t} => <<>>}",
       Term::map({{Term(1), atom("a")},
                  {Term(1.0), atom("b")},
                  {Term::string("k"), Term::nil()},
                  {tuple({atom("t")}), Term::binary("")}})},
      {"map_32", "maps:from_list([{I, I * I} || I <- lists:seq(1, 32)])", squares_map(32)},
      {"map_40",
       "maps:from_list([{I, I * I} || I <- lists:seq(1, 40)])",
       squares_map(40),
       {},
       "",
       {},
       false},
      {"pid_local", "self()", std::nullopt,
       [](const Term& t, const ErlFacts& facts) {
         ASSERT_TRUE(t.is<Pid>());
         const Pid& pid = t.as<Pid>();
         expect_local_node(pid.node);
         EXPECT_EQ(facts.text,
                   "<0." + std::to_string(pid.id) + "." + std::to_string(pid.serial) + ">");
       }},
      {"ref_local", "make_ref()", std::nullopt,
       [](const Term& t, const ErlFacts&) {
         ASSERT_TRUE(t.is<Reference>());
         expect_local_node(t.as<Reference>().node);
         EXPECT_EQ(t.as<Reference>().ids.size(), 3u);
       }},
      {"port_local", "hd(erlang:ports())", std::nullopt,
       [](const Term& t, const ErlFacts&) {
         ASSERT_TRUE(t.is<Port>());
         expect_local_node(t.as<Port>().node);
       }},
      {"pid_remote_big_creation", remote_pid_erl(), remote_pid()},
      {"port_v4", v4_port_erl(), v4_port()},
      {"ref_remote_5_words", remote_ref_erl(), remote_ref()},
      {"export_fun", "fun lists:map/2", Term(ExportFun{Atom("lists"), Atom("map"), 2})},
      {"closure", "begin Y = 5, fun(X) -> X + Y end end", std::nullopt, closure_check(1)},
      {"closure_env", "begin A = {1, 2}, B = <<\"bin\">>, fun(X) -> {X, A, B} end end",
       std::nullopt, closure_check(1)},
      {"mixed", mixed_erl(), mixed_term()},
      {"compressed",
       "lists:duplicate(100, hello)",
       list(std::vector<Term>(100, atom("hello"))),
       {},
       "compressed",
       compressed},
      {"compressed_9",
       "{lists:seq(1, 500), binary:copy(<<\"abc\">>, 300)}",
       tuple({[] {
                std::vector<Term> v;
                for (int i = 1; i <= 500; ++i) v.emplace_back(i);
                return list(v);
              }(),
              Term::binary(repeat("abc", 300))}),
       {},
       "{compressed, 9}",
       compressed9},
  };
}

std::vector<ToErl> to_erl_cases() {
  EncodeOptions compressed;
  compressed.compress = true;
  std::vector<Term> seq;
  for (int i = 1; i <= 300; ++i) seq.emplace_back(i);
  return {
      {"int_0", Term(0), "0"},
      {"int_255", Term(255), "255"},
      {"int_256", Term(256), "256"},
      {"int_neg", Term(-1), "-1"},
      {"int32_min", Term(int64_t{INT32_MIN}), "-2147483648"},
      {"int_2_31", Term(int64_t{1} << 31), "2147483648"},
      {"int64_min", Term(INT64_MIN), "-9223372036854775808"},
      {"int64_max", Term(INT64_MAX), "9223372036854775807"},
      {"big_64", power_of_two(64), "1 bsl 64"},
      {"big_neg_64", power_of_two(64, true), "-(1 bsl 64)"},
      {"large_big", power_of_two(2100), "1 bsl 2100"},
      {"float", Term(1.5), "1.5"},
      {"float_small", Term(-2.25e-10), "-2.25e-10"},
      {"float_huge", Term(1e300), "1.0e300"},
      {"atom", atom("ok"), "ok"},
      {"atom_empty", atom(""), "''"},
      {"atom_space", atom("hello world"), "'hello world'"},
      {"atom_unicode", atom("\xF0\x9F\x98\x80"), "binary_to_atom(<<240,159,152,128>>, utf8)"},
      {"atom_255", atom(std::string(255, 'x')), "list_to_atom(lists:duplicate(255, $x))"},
      {"atom_utf8_long", atom(repeat("\xE2\x82\xAC", 100)),
       "binary_to_atom(binary:copy(<<226,130,172>>, 100), utf8)"},
      {"tuple_empty", tuple({}), "{}"},
      {"tuple", tuple({Term(1), Term(2), Term(3)}), "{1, 2, 3}"},
      {"tuple_large", tuple(seq), "list_to_tuple(lists:seq(1, 300))"},
      {"nil", Term::nil(), "[]"},
      {"string", Term::string("abc"), "\"abc\""},
      {"list", list({Term(1), Term(300), atom("a")}), "[1, 300, a]"},
      {"improper", Term::improper_list({Term(1)}, Term(2)), "[1 | 2]"},
      {"improper_atoms", Term::improper_list({atom("a"), atom("b")}, atom("c")), "[a, b | c]"},
      {"long_list", list(std::vector<Term>(70000, Term(7))), "lists:duplicate(70000, 7)"},
      {"binary_empty", Term::binary(""), "<<>>"},
      {"binary", Term::binary("hello"), "<<\"hello\">>"},
      {"binary_big", Term::binary(repeat("ab", 5000)), "binary:copy(<<\"ab\">>, 5000)"},
      {"bits", Term(BitString{Bytes::copy(std::string_view("\xA0")), 3}), "<<5:3>>"},
      {"bits_long", Term(BitString{Bytes::copy(std::string_view("\x01\x02\x30")), 4}),
       "<<1,2,3:4>>"},
      {"map_empty", Term::map({}), "#{}"},
      {"map_mixed",
       Term::map({{atom("a"), Term(1)},
                  {Term(1), atom("a")},
                  {Term(1.0), atom("b")},
                  {Term::string("k"), Term::nil()}}),
       "#{a => 1, 1 => a, 1.0 => b, \"k\" => []}"},
      {"map_40", squares_map(40), "maps:from_list([{I, I * I} || I <- lists:seq(1, 40)])"},
      {"map_map_key", Term::map({{Term::map({{atom("a"), Term(1)}}), tuple({atom("x")})}}),
       "#{#{a => 1} => {x}}"},
      {"pid_remote", remote_pid(), remote_pid_erl()},
      {"port_v4", v4_port(), v4_port_erl()},
      {"port_narrow", Term(Port{Atom("a@host"), 7, 3}),
       "binary_to_term(<<131,89,119,6,\"a@host\",0,0,0,7,0,0,0,3>>)"},
      {"ref_remote", remote_ref(), remote_ref_erl()},
      {"export_fun", Term(ExportFun{Atom("lists"), Atom("map"), 2}), "fun lists:map/2"},
      {"mixed", mixed_term(), mixed_erl()},
      {"deep", nested_tuples(500), "lists:foldl(fun(_, A) -> {A} end, [], lists:seq(1, 500))"},
      {"compressed", list(std::vector<Term>(200, atom("hello"))), "lists:duplicate(200, hello)",
       compressed},
  };
}

// Runs erl with `script` (which ends in halt()), failing loudly if erl is
// not there.
testing::ProcessResult run_erl(const std::string& script, std::string_view input) {
  auto result = testing::run_process({"erl", "-noinput", "-noshell", "-eval", script}, input, 120s);
  if (result.exit_code == 127 || result.exit_code == -1) {
    ADD_FAILURE() << "cannot run erl (install erlang-base; this test needs a real erl): "
                  << result.err;
  }
  return result;
}

std::map<std::string, std::string> lines_by_name(const std::string& out) {
  std::map<std::string, std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    if (space != std::string::npos) lines[line.substr(0, space)] = line.substr(space + 1);
  }
  return lines;
}

std::string from_erl_script(const std::vector<FromErl>& cases) {
  std::string script = "Cases = [";
  for (size_t i = 0; i < cases.size(); ++i) {
    const FromErl& c = cases[i];
    script += (i ? ",\n" : "") + std::string("{\"") + c.name + "\", fun() -> " + c.erl + " end, [" +
              c.options + "]}";
  }
  script += R"(],
Hex = fun(B) -> binary:encode_hex(B) end,
Facts = fun(T) when is_pid(T) -> pid_to_list(T);
           (T) when is_function(T) ->
             case erlang:fun_info(T, type) of
               {type, local} ->
                 [{_, NI}, {_, NU}, {_, I}, {_, U}, {_, A}] =
                   [erlang:fun_info(T, K) || K <- [new_index, new_uniq, index, uniq, arity]],
                 io_lib:format("~w,~s,~w,~w,~w", [NI, Hex(NU), I, U, A]);
               _ -> "-"
             end;
           (_) -> "-" end,
lists:foreach(fun({N, F, O}) ->
    T = F(),
    io:format("~s ~s ~s~n", [N, Hex(term_to_binary(T, [{minor_version, 2} | O])), Facts(T)])
  end, Cases),
halt().)";
  return script;
}

std::string to_erl_script(const std::vector<ToErl>& cases) {
  std::string script = "Expected = #{";
  for (size_t i = 0; i < cases.size(); ++i) {
    script += (i ? ",\n" : "") + std::string("\"") + cases[i].name + "\" => fun() -> " +
              cases[i].erl + " end";
  }
  script += R"(},
Dec = fun(H) -> binary_to_term(binary:decode_hex(list_to_binary(H))) end,
Check = fun("expr", Name, [H]) -> {Dec(H), (maps:get(Name, Expected))()};
           ("same", _, [H1, H2]) -> {Dec(H1), Dec(H2)};
           ("call", _, [H1, H2]) -> {(Dec(H1))(5), (Dec(H2))(5)} end,
Loop = fun Loop() ->
  case io:get_line("") of
    eof -> ok;
    Line ->
      [Kind, Name | Hexes] = string:lexemes(string:trim(Line), " "),
      R = try Check(Kind, Name, Hexes) of
            {Same, Same} -> ok;
            {Got, Want} -> io_lib:format("mismatch got ~P want ~P", [Got, 12, Want, 12])
          catch C:E -> io_lib:format("error ~p:~P", [C, E, 12]) end,
      io:format("~s ~s~n", [Name, R]),
      Loop()
  end
end,
Loop(),
halt().)";
  return script;
}

class EtfInterop : public ::testing::Test {
 protected:
  // Run 1 happens once; run 2 needs its re-encodings.
  static void SetUpTestSuite() {
    from_erl_ = new std::vector<FromErl>(from_erl_cases());
    auto result = run_erl(from_erl_script(*from_erl_), "");
    erl_status_ = result.exit_code;
    erl_err_ = new std::string(result.err);
    erl_lines_ = new std::map<std::string, std::string>(lines_by_name(result.out));
  }
  static void TearDownTestSuite() {
    delete from_erl_;
    delete erl_err_;
    delete erl_lines_;
  }

  static inline std::vector<FromErl>* from_erl_ = nullptr;
  static inline std::map<std::string, std::string>* erl_lines_ = nullptr;
  static inline std::string* erl_err_ = nullptr;
  static inline int erl_status_ = -1;
};

TEST_F(EtfInterop, ErlOutputDecodesAndReencodesIdentically) {
  ASSERT_EQ(erl_status_, 0) << "erl failed: " << *erl_err_;
  EXPECT_EQ(erl_lines_->size(), from_erl_->size());
  for (const FromErl& c : *from_erl_) {
    SCOPED_TRACE(c.name);
    auto line = erl_lines_->find(c.name);
    ASSERT_NE(line, erl_lines_->end()) << "erl printed nothing for " << c.name;
    std::string hex_bytes = line->second.substr(0, line->second.find(' '));
    ErlFacts facts{line->second.substr(line->second.find(' ') + 1)};
    Bytes8 bytes = unhex(hex_bytes);
    auto term = decode(bytes);
    ASSERT_TRUE(term) << term.error().to_string();
    if (c.expected) {
      EXPECT_EQ(*term, *c.expected);
    }
    if (c.check) c.check(*term, facts);
    auto again = encode(*term, c.reencode);
    ASSERT_TRUE(again) << again.error().to_string();
    if (c.exact) {
      EXPECT_EQ(hex(*again), hex_bytes);
    }
    if (!c.reencode.compress) {
      EXPECT_EQ(encoded_size(*term), bytes.size());
    }
  }
}

TEST_F(EtfInterop, ErlReadsWhatBeamlinkEncodes) {
  ASSERT_EQ(erl_status_, 0) << "erl failed: " << *erl_err_;
  std::vector<ToErl> cases = to_erl_cases();
  std::string input;
  std::vector<std::string> names;
  for (const ToErl& c : cases) {
    auto bytes = encode(c.term, c.options);
    ASSERT_TRUE(bytes) << c.name << ": " << bytes.error().to_string();
    if (c.options.compress) {
      EXPECT_EQ((*bytes)[1], COMPRESSED) << c.name;
    }
    input += "expr " + c.name + " " + hex(*bytes) + "\n";
    names.push_back(c.name);
  }
  // Everything erl sent in run 1, re-encoded by beamlink, must be the same
  // term to erl (this covers closures, local identifiers and big maps).
  for (const FromErl& c : *from_erl_) {
    auto line = erl_lines_->find(c.name);
    ASSERT_NE(line, erl_lines_->end()) << c.name;
    std::string original = line->second.substr(0, line->second.find(' '));
    auto term = decode(unhex(original));
    ASSERT_TRUE(term) << c.name;
    auto ours = encode(*term);
    ASSERT_TRUE(ours) << c.name;
    input += "same from_erl_" + c.name + " " + hex(*ours) + " " + original + "\n";
    names.push_back("from_erl_" + c.name);
    if (term->is<Closure>()) {
      input += "call call_" + c.name + " " + hex(*ours) + " " + original + "\n";
      names.push_back("call_" + c.name);
    }
  }
  auto result = run_erl(to_erl_script(cases), input);
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  auto verdicts = lines_by_name(result.out);
  EXPECT_EQ(verdicts.size(), names.size());
  for (const std::string& name : names) {
    auto verdict = verdicts.find(name);
    ASSERT_NE(verdict, verdicts.end()) << "erl gave no verdict for " << name << "\n" << result.out;
    EXPECT_EQ(verdict->second, "ok") << name;
  }
}

}  // namespace
}  // namespace beamlink::etf::interop
