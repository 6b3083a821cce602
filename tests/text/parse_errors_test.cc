#include <gtest/gtest.h>

#include <string>

#include "beamlink/term_text.h"

namespace beamlink {
namespace {

// The error's message, or "ok" when the text parsed.
std::string error_of(std::string_view text) {
  auto result = parse_term(text);
  return result ? "ok" : result.error().message;
}

Errc code_of(std::string_view text) {
  return parse_term(text).error().code;
}

TEST(ParseErrors, SayWhereAndWhatWasExpected) {
  EXPECT_EQ(error_of("{ok, 1, 2]"), "column 10: expected ',' or '}' but found ']'");
  EXPECT_EQ(error_of("[1, 2}"), "column 6: expected ',', '|' or ']' but found '}'");
  EXPECT_EQ(error_of("[1 | 2, 3]"), "column 7: expected ']' but found ','");
  EXPECT_EQ(error_of("#{a => 1, b}"), "column 12: expected '=>' but found '}'");
  EXPECT_EQ(error_of("{a,"), "column 4: expected a term but found end of input");
  EXPECT_EQ(error_of(""), "column 1: expected a term but found end of input");
  EXPECT_EQ(error_of("{a} b"), "column 5: expected end of input but found 'b'");
  EXPECT_EQ(error_of("<<1, 2"), "column 7: expected ',' or '>>' but found end of input");
  EXPECT_EQ(error_of("- a"), "column 3: expected a number after the sign but found 'a'");
}

TEST(ParseErrors, CountLinesWhenThereAreSeveral) {
  EXPECT_EQ(error_of("{a,\n  b,\n  ]"), "line 3, column 3: expected a term but found ']'");
}

TEST(ParseErrors, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(error_of("{'日本', ]"), "column 8: expected a term but found ']'");
}

TEST(ParseErrors, NameLexicalProblems) {
  EXPECT_EQ(error_of("\"abc"), "column 1: unterminated string");
  EXPECT_EQ(error_of("'abc"), "column 1: unterminated quoted atom");
  EXPECT_EQ(error_of("{a ; b}"), "column 4: unexpected character ';'");
  EXPECT_EQ(error_of("16#FG"), "column 4: 'G' is not a base 16 digit");
  EXPECT_EQ(error_of("99#1"), "column 1: base must be 2..36");
  EXPECT_EQ(error_of("\"\\x{110000}\""), "column 2: character code above 16#10FFFF");
  EXPECT_EQ(error_of("1.0e999"), "column 1: float out of range");
  EXPECT_EQ(error_of("'\xff'"), "column 2: invalid UTF-8");
}

TEST(ParseErrors, RejectVariablesAndBareReservedWords) {
  EXPECT_EQ(error_of("{ok, X}"),
            "column 6: expected a term but found variable 'X' (variables are not allowed)");
  EXPECT_EQ(error_of("[_]"),
            "column 2: expected a term but found variable '_' (variables are not allowed)");
  EXPECT_EQ(error_of("case"), "column 1: reserved word 'case' must be quoted to be an atom");
}

TEST(ParseErrors, ExplainBadPidsAndRefs) {
  EXPECT_EQ(error_of("<0.1>"), "column 2: expected a node and numbers separated by '.'");
  EXPECT_EQ(error_of("<5.1.2>"),
            "column 2: node number 5 is unknown; write the node's name, as in <name@host.1.2>");
  EXPECT_EQ(error_of("<0.1.2"), "column 2: expected '>'");
  EXPECT_EQ(error_of("<0.1.x>"), "column 2: 'x' is not a number");
  EXPECT_EQ(error_of("<a b@c.1.2>"),
            "column 2: bad node name 'a b@c': want name@host, or a quoted atom");
  EXPECT_EQ(error_of("<0.4294967296.0>"), "column 2: pid number above 4294967295");
  EXPECT_EQ(error_of("#Ref<0.1.2.3.4.5.6>"), "column 6: a reference has at most 5 numbers");
  EXPECT_EQ(code_of("#Fun<erl_eval.42.3316493>"), Errc::unsupported);
  EXPECT_EQ(error_of("fun lists:map/256"),
            "column 15: expected an arity of 0 to 255 but found '256'");
}

TEST(ParseErrors, ExplainBadBinarySegments) {
  EXPECT_EQ(error_of("<<1/foo>>"), "column 5: unknown type specifier 'foo'");
  EXPECT_EQ(error_of("<<1.5:16/float>>"), "column 3: float segments must be 32 or 64 bits");
  EXPECT_EQ(error_of("<<1:3/little>>"), "column 3: little-endian integers must be whole bytes");
  EXPECT_EQ(error_of("<<<<1:3>>/binary>>"),
            "column 3: a binary segment must be whole bytes; use /bits");
  EXPECT_EQ(error_of("<<a>>"),
            "column 3: expected a segment value (integer, float, string or binary) but found 'a'");
  EXPECT_EQ(error_of("<<16#D800/utf8>>"),
            "column 3: utf segment value is not a Unicode code point");
}

TEST(ParseErrors, UseTheRightCodes) {
  EXPECT_EQ(code_of("{"), Errc::malformed);
  EXPECT_EQ(code_of(std::string(300, 'a')), Errc::limit_exceeded);  // atom over 255
  EXPECT_EQ(code_of(std::string(100001, '1')), Errc::limit_exceeded);
  EXPECT_EQ(code_of("<<0:999999999999>>"), Errc::limit_exceeded);
}

TEST(ParseErrors, BoundNestingDepth) {
  std::string deep_ok = std::string(999, '[') + std::string(999, ']');
  EXPECT_TRUE(parse_term(deep_ok).has_value());
  std::string too_deep = std::string(1001, '[') + std::string(1001, ']');
  auto result = parse_term(too_deep);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::limit_exceeded);
  EXPECT_EQ(result.error().message, "column 1001: terms nest deeper than 1000 levels");
  std::string very_deep(200000, '{');  // must fail cleanly, not overflow the stack
  EXPECT_EQ(parse_term(very_deep).error().code, Errc::limit_exceeded);
  std::string deep_binaries;
  for (int i = 0; i < 2000; ++i) deep_binaries += "<<";
  EXPECT_EQ(parse_term(deep_binaries).error().message,
            "column 129: binaries nest deeper than 64 levels");
}

TEST(ParseErrors, BoundInputSize) {
  std::string huge(17u << 20, ' ');
  auto result = parse_term(huge);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::limit_exceeded);
}

}  // namespace
}  // namespace beamlink
