// Expected strings are what erl (OTP 25, +pc unicode) prints with
// io_lib:format("~0tp", [T]), except for pids, ports, references and funs
// from other nodes, which beamlink writes by node name.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "beamlink/term_text.h"

namespace beamlink {
namespace {

using namespace std::string_literals;

std::string text(const Term& term) {
  return format_term(term);
}

Term bytes(std::vector<uint8_t> data) {
  return Term::binary(std::span<const uint8_t>(data));
}

Term ints(std::vector<int64_t> values) {
  std::vector<Term> elements(values.begin(), values.end());
  return Term::list(std::move(elements));
}

TEST(FormatTerm, Integers) {
  EXPECT_EQ(text(Term(0)), "0");
  EXPECT_EQ(text(Term(-17)), "-17");
  EXPECT_EQ(text(Term(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(text(*BigInt::parse_decimal("123456789012345678901234567890")),
            "123456789012345678901234567890");
  EXPECT_EQ(text(*BigInt::parse_decimal("-123456789012345678901234567890")),
            "-123456789012345678901234567890");
}

TEST(FormatTerm, Floats) {
  EXPECT_EQ(text(Term(1.0)), "1.0");
  EXPECT_EQ(text(Term(-1.5)), "-1.5");
  EXPECT_EQ(text(Term(1.0e100)), "1.0e100");
  EXPECT_EQ(text(Term::list({Term(-0.0)})), "[-0.0]");
}

TEST(FormatTerm, Atoms) {
  EXPECT_EQ(text(Term::atom("ok")), "ok");
  EXPECT_EQ(text(Term::atom("Ok")), "'Ok'");
  EXPECT_EQ(text(Term::atom("and")), "'and'");
  EXPECT_EQ(text(Term::atom("日本")), "'日本'");
}

TEST(FormatTerm, TuplesAndLists) {
  EXPECT_EQ(text(Term::tuple({})), "{}");
  EXPECT_EQ(text(Term::tuple({Term::atom("a")})), "{a}");
  EXPECT_EQ(text(Term::tuple({Term::atom("ok"), ints({1, 2, 3})})), "{ok,[1,2,3]}");
  EXPECT_EQ(text(Term::nil()), "[]");
  EXPECT_EQ(text(Term::list({Term::nil()})), "[[]]");
  EXPECT_EQ(text(Term::tuple({Term(-1), Term(-1.5)})), "{-1,-1.5}");
  EXPECT_EQ(text(Term::list({Term::tuple({})})), "[{}]");
}

TEST(FormatTerm, ImproperLists) {
  EXPECT_EQ(text(Term::improper_list({Term(1)}, Term(2))), "[1|2]");
  EXPECT_EQ(text(Term::improper_list({Term::atom("a"), Term::atom("b")}, Term::atom("c"))),
            "[a,b|c]");
  // A printable prefix does not make an improper list a string.
  EXPECT_EQ(text(Term::improper_list({Term(65), Term(66)}, Term(67))), "[65,66|67]");
  EXPECT_EQ(text(Term::improper_list({Term::binary("a")}, Term::binary("b"))),
            "[<<\"a\">>|<<\"b\">>]");
}

TEST(FormatTerm, Strings) {
  EXPECT_EQ(text(Term::string("abc")), "\"abc\"");
  EXPECT_EQ(text(Term::string("a\nb\tc\"d\\e'f")), "\"a\\nb\\tc\\\"d\\\\e'f\"");
  EXPECT_EQ(text(ints({8, 9, 10, 11, 12, 13, 27})), "\"\\b\\t\\n\\v\\f\\r\\e\"");
  EXPECT_EQ(text(Term::string("日本")), "\"日本\"");
  EXPECT_EQ(text(ints({160})), "\"\u00a0\"");
  EXPECT_EQ(text(ints({0x10FFFF})), "\"\U0010FFFF\"");
  EXPECT_EQ(text(ints({0xFEFF})), "\"\uFEFF\"");
  EXPECT_EQ(text(Term::list({Term::string("ab"), Term::string("c")})), "[\"ab\",\"c\"]");
}

TEST(FormatTerm, ListsThatAreNotPrintable) {
  EXPECT_EQ(text(ints({7})), "[7]");
  EXPECT_EQ(text(ints({127})), "[127]");
  EXPECT_EQ(text(ints({0})), "[0]");
  EXPECT_EQ(text(ints({97, 133})), "[97,133]");
  EXPECT_EQ(text(ints({0xD800})), "[55296]");
  EXPECT_EQ(text(ints({0xFFFE})), "[65534]");
  EXPECT_EQ(text(ints({0x110000})), "[1114112]");
  EXPECT_EQ(text(Term::list({Term(97), Term(98.0)})), "[97,98.0]");
}

TEST(FormatTerm, Latin1StringsOnlyWhenAsked) {
  TermTextOptions latin1;
  latin1.unicode_strings = false;
  EXPECT_EQ(format_term(ints({255}), latin1), "\"ÿ\"");
  EXPECT_EQ(format_term(ints({256}), latin1), "[256]");
  EXPECT_EQ(format_term(Term::string("日本"), latin1), "[26085,26412]");
  EXPECT_EQ(format_term(bytes({195, 169}), latin1), "<<\"Ã©\">>");
}

TEST(FormatTerm, Binaries) {
  EXPECT_EQ(text(Term::binary("")), "<<>>");
  EXPECT_EQ(text(Term::binary("abc")), "<<\"abc\">>");
  EXPECT_EQ(text(bytes({1, 2})), "<<1,2>>");
  EXPECT_EQ(text(bytes({0})), "<<0>>");
  EXPECT_EQ(text(Term::binary("a\n\"b")), "<<\"a\\n\\\"b\">>");
  EXPECT_EQ(text(Term::binary("\\")), "<<\"\\\\\">>");
  EXPECT_EQ(text(bytes({127})), "<<127>>");
  EXPECT_EQ(text(bytes({27})), "<<\"\\e\">>");
}

TEST(FormatTerm, BinariesOfText) {
  EXPECT_EQ(text(Term::binary("é")), "<<\"é\"/utf8>>");  // valid UTF-8
  EXPECT_EQ(text(bytes({0xE9})), "<<\"é\">>");           // a Latin-1 byte
  EXPECT_EQ(text(bytes({255})), "<<\"ÿ\">>");
  EXPECT_EQ(text(Term::binary("日本")), "<<\"日本\"/utf8>>");
  EXPECT_EQ(text(Term::binary("\u0120")), "<<\"\u0120\"/utf8>>");
  EXPECT_EQ(text(bytes({97, 0xC3})), "<<\"aÃ\">>");               // broken UTF-8, Latin-1
  EXPECT_EQ(text(bytes({0xEF, 0xBF, 0xBE})), "<<239,191,190>>");  // U+FFFE
  EXPECT_EQ(text(bytes({0xE9, 0})), "<<233,0>>");
  EXPECT_EQ(text(bytes({97, 98, 128})), "<<97,98,128>>");
  EXPECT_EQ(text(bytes({0xED, 0xA0, 0x80})), "<<237,160,128>>");  // a surrogate
  EXPECT_EQ(text(bytes({0xC0, 0x80})), "<<192,128>>");            // overlong
}

TEST(FormatTerm, BitStrings) {
  EXPECT_EQ(text(Term(BitString{Bytes::copy(std::string_view("\x20")), 3})), "<<1:3>>");
  EXPECT_EQ(text(Term(BitString{Bytes::copy(std::string_view("\x01\x02\x30")), 4})), "<<1,2,3:4>>");
  EXPECT_EQ(text(Term(BitString{Bytes::copy(std::string_view("abc\x20")), 3})), "<<97,98,99,1:3>>");
  EXPECT_EQ(text(Term(BitString{Bytes::copy(std::string_view("\xE9\xE9\x40")), 2})),
            "<<233,233,1:2>>");
}

TEST(FormatTerm, Maps) {
  EXPECT_EQ(text(Term::map({})), "#{}");
  EXPECT_EQ(text(Term::map({{Term::atom("b"), Term::string("x")}, {Term::atom("a"), Term(1)}})),
            "#{a => 1,b => \"x\"}");
  EXPECT_EQ(text(Term::map({{Term::tuple({Term::atom("a"), Term::atom("b")}), ints({1})},
                            {Term(1.0), Term(3)},
                            {Term(1), Term(2)}})),
            "#{1 => 2,1.0 => 3,{a,b} => [1]}");
  EXPECT_EQ(text(Term::map({{Term(-1), Term(-2)}})), "#{-1 => -2}");
}

TEST(FormatTerm, LocalPidsPortsAndReferencesUseNodeZero) {
  EXPECT_EQ(text(Term(Pid{Atom("nonode@nohost"), 9, 0, 0})), "<0.9.0>");
  EXPECT_EQ(text(Term(Port{Atom("nonode@nohost"), 5, 0})), "#Port<0.5>");
  EXPECT_EQ(text(Term(Reference{Atom("nonode@nohost"), 0, {154147, 2052849666, 9873180}})),
            "#Ref<0.9873180.2052849666.154147>");
  TermTextOptions options;
  options.local_node = "me@host";
  EXPECT_EQ(format_term(Term(Pid{Atom("me@host"), 1, 2, 3}), options), "<0.1.2>");
  EXPECT_EQ(format_term(Term(Pid{Atom("nonode@nohost"), 1, 2, 3}), options), "<0.1.2>");
}

TEST(FormatTerm, RemotePidsPortsAndReferencesNameTheirNode) {
  EXPECT_EQ(text(Term(Pid{Atom("app@host.example.com"), 81, 0, 1})), "<app@host.example.com.81.0>");
  EXPECT_EQ(text(Term(Port{Atom("a@b"), 7, 0})), "#Port<a@b.7>");
  EXPECT_EQ(text(Term(Reference{Atom("a@b"), 0, {3, 2, 1}})), "#Ref<a@b.1.2.3>");
  // Names that would read ambiguously are quoted.
  EXPECT_EQ(text(Term(Pid{Atom("a@10.0.0.1"), 1, 2, 0})), "<'a@10.0.0.1'.1.2>");
  EXPECT_EQ(text(Term(Pid{Atom("odd node"), 1, 2, 0})), "<'odd node'.1.2>");
  EXPECT_EQ(text(Term(Pid{Atom("nohost"), 1, 2, 0})), "<'nohost'.1.2>");
}

TEST(FormatTerm, Funs) {
  EXPECT_EQ(text(Term(ExportFun{Atom("lists"), Atom("map"), 2})), "fun lists:map/2");
  EXPECT_EQ(text(Term(ExportFun{Atom("erlang"), Atom("+"), 2})), "fun erlang:'+'/2");
  EXPECT_EQ(text(Term(ExportFun{Atom("A"), Atom("b"), 0})), "fun 'A':b/0");
  Closure closure;
  closure.module = Atom("erl_eval");
  closure.old_index = 42;
  closure.old_uniq = 3316493;
  EXPECT_EQ(text(Term(closure)), "#Fun<erl_eval.42.3316493>");
}

}  // namespace
}  // namespace beamlink
