#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "beamlink/term_text.h"
#include "text/print_term.h"

namespace beamlink {
namespace {

Term parse(std::string_view text, const TermTextOptions& options = {}) {
  auto result = parse_term(text, options);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().to_string();
  return result ? *result : Term::atom("<parse failed>");
}

Term bytes(std::vector<uint8_t> data) {
  return Term::binary(std::span<const uint8_t>(data));
}

Term bits(std::vector<uint8_t> data, uint8_t count) {
  return Term(BitString{Bytes::copy(std::span<const uint8_t>(data)), count});
}

TEST(ParseTerm, Integers) {
  EXPECT_EQ(parse("42"), Term(42));
  EXPECT_EQ(parse("-42"), Term(-42));
  EXPECT_EQ(parse("+7"), Term(7));
  EXPECT_EQ(parse("- 7"), Term(-7));
  EXPECT_EQ(parse("1_000_000"), Term(1000000));
  EXPECT_EQ(parse("16#FF"), Term(255));
  EXPECT_EQ(parse("16#ff"), Term(255));
  EXPECT_EQ(parse("-2#101"), Term(-5));
  EXPECT_EQ(parse("36#Zz"), Term(35 * 36 + 35));
  EXPECT_EQ(parse("9223372036854775807"), Term(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(parse("-9223372036854775808"), Term(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(parse("123456789012345678901234567890"),
            *BigInt::parse_decimal("123456789012345678901234567890"));
  EXPECT_EQ(parse("-123456789012345678901234567890"),
            *BigInt::parse_decimal("-123456789012345678901234567890"));
  EXPECT_EQ(parse("16#10000000000000000"), *BigInt::parse_decimal("18446744073709551616"));
}

TEST(ParseTerm, CharacterLiterals) {
  EXPECT_EQ(parse("$a"), Term(97));
  EXPECT_EQ(parse("$ "), Term(32));
  EXPECT_EQ(parse("$\\n"), Term(10));
  EXPECT_EQ(parse("$\\s"), Term(32));
  EXPECT_EQ(parse("$\\x41"), Term(65));
  EXPECT_EQ(parse("$\\x{1F600}"), Term(0x1F600));
  EXPECT_EQ(parse("$\\101"), Term(65));
  EXPECT_EQ(parse("$\\^A"), Term(1));
  EXPECT_EQ(parse("$é"), Term(233));
  EXPECT_EQ(parse("$日"), Term(0x65E5));
  EXPECT_EQ(parse("$\\\\"), Term(92));
}

TEST(ParseTerm, Floats) {
  EXPECT_EQ(parse("1.5"), Term(1.5));
  EXPECT_EQ(parse("-1.5"), Term(-1.5));
  EXPECT_EQ(parse("1.0e-3"), Term(0.001));
  EXPECT_EQ(parse("1.0E+3"), Term(1000.0));
  EXPECT_EQ(parse("1.0e100"), Term(1.0e100));
  EXPECT_EQ(parse("5.0e-324"), Term(5.0e-324));
  EXPECT_EQ(parse("1_0.2_5"), Term(10.25));
  EXPECT_TRUE(std::signbit(parse("-0.0").as<double>()));
}

TEST(ParseTerm, Atoms) {
  EXPECT_EQ(parse("ok"), Term::atom("ok"));
  EXPECT_EQ(parse("node@host"), Term::atom("node@host"));
  EXPECT_EQ(parse("aBc_9"), Term::atom("aBc_9"));
  EXPECT_EQ(parse("'hello world'"), Term::atom("hello world"));
  EXPECT_EQ(parse("'and'"), Term::atom("and"));
  EXPECT_EQ(parse("''"), Term::atom(""));
  EXPECT_EQ(parse("'\\n\\'\\\\'"), Term::atom("\n'\\"));
  EXPECT_EQ(parse("'\\x{65E5}'"), Term::atom("日"));
  EXPECT_EQ(parse("'日本'"), Term::atom("日本"));
  EXPECT_EQ(parse("é"), Term::atom("é"));
  EXPECT_EQ(parse("true"), Term::boolean(true));
}

TEST(ParseTerm, Strings) {
  EXPECT_EQ(parse("\"abc\""), Term::string("abc"));
  EXPECT_EQ(parse("\"\""), Term::nil());
  EXPECT_EQ(parse("\"a\\nb\\tc\\\"d\\\\e'f\""), Term::string("a\nb\tc\"d\\e'f"));
  EXPECT_EQ(parse("\"\\b\\d\\e\\f\\r\\s\\v\""), Term::string("\b\x7f\x1b\f\r \v"));
  EXPECT_EQ(parse("\"\\101\\x42\\x{43}\""), Term::string("ABC"));
  EXPECT_EQ(parse("\"日本\""), Term::string("日本"));
  EXPECT_EQ(parse("\"ab\" \"cd\""), Term::string("abcd"));
  EXPECT_EQ(parse("\"line\nbreak\""), Term::string("line\nbreak"));
}

TEST(ParseTerm, TuplesListsAndMaps) {
  EXPECT_EQ(parse("{}"), Term::tuple({}));
  EXPECT_EQ(parse("{ok, [1, 2, 3]}"),
            Term::tuple({Term::atom("ok"), Term::list({Term(1), Term(2), Term(3)})}));
  EXPECT_EQ(parse("[]"), Term::nil());
  EXPECT_EQ(parse("[1|2]"), Term::improper_list({Term(1)}, Term(2)));
  EXPECT_EQ(parse("[a,b|c]"),
            Term::improper_list({Term::atom("a"), Term::atom("b")}, Term::atom("c")));
  EXPECT_EQ(parse("[1|[2,3]]"), Term::list({Term(1), Term(2), Term(3)}));
  EXPECT_EQ(parse("[1|[]]"), Term::list({Term(1)}));
  EXPECT_EQ(parse("#{}"), Term::map({}));
  EXPECT_EQ(parse("#{a => 1, {b} => [x]}"),
            Term::map({{Term::atom("a"), Term(1)},
                       {Term::tuple({Term::atom("b")}), Term::list({Term::atom("x")})}}));
  EXPECT_EQ(parse("#{a => 1, a => 2}"), Term::map({{Term::atom("a"), Term(2)}}));
  EXPECT_EQ(parse("#{-1 => -2}"), Term::map({{Term(-1), Term(-2)}}));
}

TEST(ParseTerm, Binaries) {
  EXPECT_EQ(parse("<<>>"), Term::binary(""));
  EXPECT_EQ(parse("<<1,2,3>>"), bytes({1, 2, 3}));
  EXPECT_EQ(parse("<<\"abc\">>"), Term::binary("abc"));
  EXPECT_EQ(parse("<<\"é\">>"), bytes({0xE9}));
  EXPECT_EQ(parse("<<\"é\"/utf8>>"), Term::binary("é"));
  EXPECT_EQ(parse("<<\"日本\"/utf8>>"), Term::binary("日本"));
  EXPECT_EQ(parse("<<\"a\", \"b\", 0>>"), bytes({97, 98, 0}));
  EXPECT_EQ(parse("<<256>>"), bytes({0}));
  EXPECT_EQ(parse("<<-1>>"), bytes({255}));
  EXPECT_EQ(parse("<<1:16>>"), bytes({0, 1}));
  EXPECT_EQ(parse("<<1:16/little>>"), bytes({1, 0}));
  EXPECT_EQ(parse("<<-2:16/signed-big>>"), bytes({0xFF, 0xFE}));
  EXPECT_EQ(parse("<<1:4/unit:4>>"), bytes({0, 1}));
  EXPECT_EQ(parse("<<1.5/float>>"), bytes({0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(parse("<<1.5>>"), bytes({0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(parse("<<1.5:32/float-little>>"), bytes({0, 0, 0xC0, 0x3F}));
  EXPECT_EQ(parse("<<$a/utf16, $b/utf32>>"), bytes({0, 97, 0, 0, 0, 98}));
  EXPECT_EQ(parse("<<16#1F600/utf16>>"), bytes({0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(parse("<<<<1,2>>/binary, 3>>"), bytes({1, 2, 3}));
  EXPECT_EQ(parse("<<<<1,2>>:1/binary>>"), bytes({1}));
  EXPECT_EQ(parse("<<18446744073709551617:72>>"), bytes({1, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(parse("<<-18446744073709551617:72>>"),
            bytes({0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(ParseTerm, BitStrings) {
  EXPECT_EQ(parse("<<1:3>>"), bits({0x20}, 3));
  EXPECT_EQ(parse("<<1,2,3:4>>"), bits({1, 2, 0x30}, 4));
  EXPECT_EQ(parse("<<1:1,1:1,1:1,1:1,1:1,1:1,1:1,1:1,1:1>>"), bits({0xFF, 0x80}, 1));
  EXPECT_EQ(parse("<<1:4,255,1:4>>"), bytes({0x1F, 0xF1}));
  EXPECT_EQ(parse("<<<<1:3>>/bits, 1:5>>"), bytes({0x21}));
}

TEST(ParseTerm, LocalPidsPortsAndReferences) {
  EXPECT_EQ(parse("<0.9.0>"), Term(Pid{Atom("nonode@nohost"), 9, 0, 0}));
  EXPECT_EQ(parse("#Port<0.5>"), Term(Port{Atom("nonode@nohost"), 5, 0}));
  EXPECT_EQ(parse("#Ref<0.9873180.2052849666.154147>"),
            Term(Reference{Atom("nonode@nohost"), 0, {154147, 2052849666, 9873180}}));
  TermTextOptions options;
  options.local_node = "me@host";
  EXPECT_EQ(parse("<0.1.2>", options), Term(Pid{Atom("me@host"), 1, 2, 0}));
}

TEST(ParseTerm, RemotePidsPortsAndReferences) {
  EXPECT_EQ(parse("<app@host.example.com.81.0>"),
            Term(Pid{Atom("app@host.example.com"), 81, 0, 0}));
  EXPECT_EQ(parse("<a@10.0.0.1.5.6>"), Term(Pid{Atom("a@10.0.0.1"), 5, 6, 0}));
  EXPECT_EQ(parse("<'a@10.0.0.1'.5.6>"), Term(Pid{Atom("a@10.0.0.1"), 5, 6, 0}));
  EXPECT_EQ(parse("<'odd>node'.1.2>"), Term(Pid{Atom("odd>node"), 1, 2, 0}));
  EXPECT_EQ(parse("#Port<a@b.18446744073709551615>"),
            Term(Port{Atom("a@b"), 18446744073709551615u, 0}));
  EXPECT_EQ(parse("#Ref<a@b.1.2.3>"), Term(Reference{Atom("a@b"), 0, {3, 2, 1}}));
  EXPECT_EQ(parse("#Ref<'a@10.0.0.1'.1.2.3.4.5>"),
            Term(Reference{Atom("a@10.0.0.1"), 0, {5, 4, 3, 2, 1}}));
}

TEST(ParseTerm, ExportFuns) {
  EXPECT_EQ(parse("fun lists:map/2"), Term(ExportFun{Atom("lists"), Atom("map"), 2}));
  EXPECT_EQ(parse("fun erlang:'+'/2"), Term(ExportFun{Atom("erlang"), Atom("+"), 2}));
  EXPECT_EQ(parse("fun 'A':b/0"), Term(ExportFun{Atom("A"), Atom("b"), 0}));
}

TEST(ParseTerm, WhitespaceCommentsAndTrailingPeriod) {
  EXPECT_EQ(parse("  {a, b}.  "), Term::tuple({Term::atom("a"), Term::atom("b")}));
  EXPECT_EQ(parse("{a, % the first\n b}. % done\n"),
            Term::tuple({Term::atom("a"), Term::atom("b")}));
  EXPECT_EQ(parse("1."), Term(1));
  EXPECT_EQ(parse("\t[\r\n]"), Term::nil());
}

}  // namespace
}  // namespace beamlink
