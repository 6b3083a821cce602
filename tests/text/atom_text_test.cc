#include "text/atom_text.h"

#include <gtest/gtest.h>

#include <string>

namespace beamlink::text {
namespace {

using namespace std::string_literals;

std::string atom(std::string_view name) {
  std::string out;
  append_atom(name, out);
  return out;
}

// Expected forms are erl's: io_lib:format("~0tp", [list_to_atom(...)]).
TEST(AppendAtom, LeavesPlainAtomsBare) {
  EXPECT_EQ(atom("a"), "a");
  EXPECT_EQ(atom("abc@d"), "abc@d");
  EXPECT_EQ(atom("aBc"), "aBc");
  EXPECT_EQ(atom("a1_@Z"), "a1_@Z");
  EXPECT_EQ(atom("nonode@nohost"), "nonode@nohost");
  EXPECT_EQ(atom("true"), "true");
  EXPECT_EQ(atom("maybe"), "maybe");  // reserved only from OTP 27 on
  EXPECT_EQ(atom("else"), "else");
  EXPECT_EQ(atom("é"), "é");
  EXPECT_EQ(atom("aÉ"), "aÉ");
  EXPECT_EQ(atom("ß"), "ß");
}

TEST(AppendAtom, QuotesWhatTheScannerWouldNotReadBare) {
  EXPECT_EQ(atom("Abc"), "'Abc'");
  EXPECT_EQ(atom("_x"), "'_x'");
  EXPECT_EQ(atom("9a"), "'9a'");
  EXPECT_EQ(atom(""), "''");
  EXPECT_EQ(atom("a b"), "'a b'");
  EXPECT_EQ(atom("a.b"), "'a.b'");
  EXPECT_EQ(atom("a-b"), "'a-b'");
  EXPECT_EQ(atom("@a"), "'@a'");
  EXPECT_EQ(atom("Éa"), "'Éa'");
  EXPECT_EQ(atom("÷a"), "'÷a'");
  EXPECT_EQ(atom("a÷"), "'a÷'");
  EXPECT_EQ(atom("ª"), "'ª'");
  EXPECT_EQ(atom("日本"), "'日本'");
  EXPECT_EQ(atom("a日本"), "'a日本'");
}

TEST(AppendAtom, QuotesReservedWords) {
  for (const char* word : {"and", "case", "fun", "end", "receive", "bnot", "xor", "orelse",
                           "andalso", "catch", "try", "when", "of", "cond", "let"}) {
    EXPECT_EQ(atom(word), "'" + std::string(word) + "'");
  }
}

TEST(AppendAtom, EscapesInsideQuotes) {
  EXPECT_EQ(atom("\n"), "'\\n'");
  EXPECT_EQ(atom("a\tb"), "'a\\tb'");
  EXPECT_EQ(atom("\x1b"), "'\\e'");
  EXPECT_EQ(atom("\\"), "'\\\\'");
  EXPECT_EQ(atom("'"), "'\\''");
  EXPECT_EQ(atom("\x7f"), "'\\d'");
  EXPECT_EQ(atom("\x01"), "'\\001'");
  EXPECT_EQ(atom("\x1f"), "'\\037'");
  EXPECT_EQ(atom("a\0b"s), "'a\\000b'");
  EXPECT_EQ(atom("\u0080"), "'\\200'");
  EXPECT_EQ(atom("\u009f"), "'\\237'");
  EXPECT_EQ(atom("\u00a0"), "'\u00a0'");
  EXPECT_EQ(atom("a\u200bb"), "'a\u200bb'");
}

TEST(AppendAtom, ReadsInvalidUtf8AsLatin1) {
  EXPECT_EQ(atom("\xe9"), "é");
  EXPECT_EQ(atom("A\xff"), "'Aÿ'");
}

}  // namespace
}  // namespace beamlink::text
