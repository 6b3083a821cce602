// The round-trip property: parse_term(format_term(t)) == t for every term
// that text can carry, over a deterministic generated corpus. Closures
// cannot be read back, and creations are not written, so the generator
// makes neither.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "beamlink/term_text.h"
#include "text/print_term.h"

namespace beamlink {
namespace {

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  Term term(int depth) {
    int kinds = depth > 3 ? 12 : 17;
    switch (pick(kinds)) {
      case 0:
        return Term(int64_t(random_()) >> pick(64));
      case 1:
        return big_integer();
      case 2:
        return Term(finite_double());
      case 3:
        return Term::atom(text(pick(6)));
      case 4:
        return Term::string(text(pick(8)));
      case 5:
        return binary();
      case 6:
        return bit_string();
      case 7:
        return Term(Pid{node(), uint32_t(random_()), uint32_t(pick(8192)), 0});
      case 8:
        return Term(Port{node(), random_() >> pick(64), 0});
      case 9: {
        Reference ref{node(), 0, {}};
        for (int i = 0, n = 1 + pick(5); i < n; ++i) ref.ids.push_back(uint32_t(random_()));
        return Term(std::move(ref));
      }
      case 10:
        return Term(ExportFun{Atom(text(1 + pick(5))), Atom(text(pick(5))), uint8_t(pick(256))});
      case 11:
        return Term::list(chars());
      case 12:
        return Term::tuple(elements(depth));
      case 13:
        return Term::list(elements(depth));
      case 14:
        return Term::improper_list(elements(depth), term(depth + 1));
      case 15: {
        std::vector<std::pair<Term, Term>> entries;
        for (int i = 0, n = pick(5); i < n; ++i)
          entries.emplace_back(term(depth + 1), term(depth + 1));
        return Term::map(std::move(entries));
      }
      default:
        return Term::list({Term::string("nested"), term(depth + 1)});
    }
  }

 private:
  int pick(int n) { return int(random_() % uint64_t(n)); }

  Term big_integer() {
    std::string digits(1, char('1' + pick(9)));
    for (int i = 0, n = 19 + pick(60); i < n; ++i) digits += char('0' + pick(10));
    return *BigInt::parse_decimal((pick(2) ? "-" : "") + digits);
  }

  double finite_double() {
    while (true) {
      double d = pick(3) == 0 ? std::bit_cast<double>(uint64_t(random_()))
                              : double(int64_t(random_() % 2000001) - 1000000) / (1 + pick(1000));
      if (std::isfinite(d)) return d;
    }
  }

  // Mostly plain letters, with quotes, escapes and wider characters mixed in.
  std::string text(int length) {
    static const char* const kPieces[] = {
        "a",    "b",    "Z", "_", "@", " ",  "'",          "\"", "\\", "\n",     "\t",     "\x1b",
        "\x7f", "\x01", "é", "ß", "÷", "日", "\U0001F600", ".",  "-",  "\u00a0", "\u0080", "0"};
    std::string out;
    for (int i = 0; i < length; ++i) {
      out += kPieces[pick(24)];
    }
    return out;
  }

  Atom node() {
    static const char* const kNodes[] = {
        "nonode@nohost", "a@b", "app@host.example.com", "a@10.0.0.1", "odd node", "x>y@z", "n@h-1"};
    return Atom(kNodes[pick(7)]);
  }

  Term binary() {
    std::vector<uint8_t> data(size_t(pick(12)));
    bool printable = pick(2) == 0;
    for (uint8_t& byte : data) byte = printable ? uint8_t(32 + pick(95)) : uint8_t(random_());
    if (pick(4) == 0) return Term::binary(text(pick(6)));
    return Term::binary(std::span<const uint8_t>(data));
  }

  Term bit_string() {
    std::vector<uint8_t> data(size_t(1 + pick(6)));
    for (uint8_t& byte : data) byte = uint8_t(random_());
    uint8_t bits = uint8_t(1 + pick(7));
    data.back() &= uint8_t(0xFF << (8 - bits));
    return Term(BitString{Bytes::copy(std::span<const uint8_t>(data)), bits});
  }

  std::vector<Term> chars() {
    static const int64_t kChars[] = {97, 10, 34, 92, 0x65E5, 0x10FFFF, 160, 0, 127, 0xD800, 255};
    std::vector<Term> out;
    for (int i = 0, n = 1 + pick(6); i < n; ++i) out.emplace_back(kChars[pick(11)]);
    return out;
  }

  std::vector<Term> elements(int depth) {
    std::vector<Term> out;
    for (int i = 0, n = pick(5); i < n; ++i) out.push_back(term(depth + 1));
    return out;
  }

  std::mt19937_64 random_;
};

TEST(RoundTrip, EveryGeneratedTermReadsBackEqual) {
  Generator generator(2024);
  for (int i = 0; i < 5000; ++i) {
    Term term = generator.term(0);
    std::string text = format_term(term);
    auto back = parse_term(text);
    ASSERT_TRUE(back.has_value()) << text << "\n" << back.error().to_string();
    ASSERT_EQ(*back, term) << text;
    ASSERT_EQ(format_term(*back), text);
  }
}

TEST(RoundTrip, HoldsWithAnotherLocalNodeAndLatin1Strings) {
  TermTextOptions options;
  options.local_node = "a@b";
  options.unicode_strings = false;
  Generator generator(99);
  for (int i = 0; i < 2000; ++i) {
    Term term = generator.term(0);
    std::string text = format_term(term, options);
    auto back = parse_term(text, options);
    ASSERT_TRUE(back.has_value()) << text << "\n" << back.error().to_string();
    if (text.find("<0.") != std::string::npos || text.find("#Port<0.") != std::string::npos ||
        text.find("#Ref<0.") != std::string::npos) {
      continue;  // nonode@nohost also prints as node 0 and reads back as a@b
    }
    ASSERT_EQ(*back, term) << text;
  }
}

TEST(RoundTrip, ReadsBackIntegerAndFloatExtremes) {
  for (const char* text : {"9223372036854775807", "-9223372036854775808", "9223372036854775808",
                           "-9223372036854775809", "5.0e-324", "-1.7976931348623157e308",
                           "2.2250738585072014e-308", "0.1", "-0.0"}) {
    auto term = parse_term(text);
    ASSERT_TRUE(term.has_value()) << text;
    EXPECT_EQ(format_term(*term), text);
  }
}

}  // namespace
}  // namespace beamlink
