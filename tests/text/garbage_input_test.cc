// parse_term on hostile input: a bounded, deterministic fuzz loop over
// random bytes, token soup and mutated valid text. Every call must return
// (a term or an error with a column), never crash or hang.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "beamlink/term_text.h"

namespace beamlink {
namespace {

void expect_clean(std::string_view text) {
  auto result = parse_term(text);
  if (result) {
    // Whatever parses must print and read back to the same term.
    auto again = parse_term(format_term(*result));
    ASSERT_TRUE(again.has_value()) << format_term(*result);
    ASSERT_EQ(*again, *result);
  } else {
    ASSERT_NE(result.error().message.find("column"), std::string::npos) << result.error().message;
  }
}

TEST(GarbageInput, RandomBytes) {
  std::mt19937_64 random(1);
  for (int i = 0; i < 20000; ++i) {
    std::string text(random() % 40, '\0');
    for (char& c : text) c = char(random());
    expect_clean(text);
  }
}

TEST(GarbageInput, TokenSoup) {
  static const char* const kPieces[] = {
      "{",   "}",   "[",    "]",          "|",     ",",    "<<",   ">>",     "<",    ">",
      "#",   "#{",  "=>",   ":",          "/",     ".",    "-",    "+",      "1",    "16#",
      "2#1", "1.5", "e",    "$",          "$\\",   "'",    "\"",   "\\",     "a",    "X",
      "fun", "Ref", "Port", "Fun",        "0.1.2", "@",    "utf8", "binary", "unit", " ",
      "\n",  "%",   "1_",   "9999999999", "'a@b'", "\\x{", "}",    "é"};
  std::mt19937_64 random(2);
  for (int i = 0; i < 30000; ++i) {
    std::string text;
    for (int n = int(random() % 16); n > 0; --n) text += kPieces[random() % std::size(kPieces)];
    expect_clean(text);
  }
}

TEST(GarbageInput, MutatedValidText) {
  const std::string seeds[] = {
      "{ok,[1,2,3],#{a => <<\"x\"/utf8>>},<0.1.2>,#Ref<a@b.1.2.3>,fun m:f/1}",
      "[\"abc\",<<1,2,3:4>>,'q a',-1.5e-7,123456789012345678901234567890|x]",
      "#{[1|2] => {#Port<0.5>, <'odd node'.4.5>}, $\\x{41} => 16#ff}"};
  std::mt19937_64 random(3);
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[random() % std::size(seeds)];
    for (int n = 1 + int(random() % 4); n > 0; --n) {
      size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text.erase(at, 1 + random() % 3);
          break;
        case 1:
          text.insert(at, 1, char(random()));
          break;
        default:
          text[at] = text[random() % text.size()];
          break;
      }
      if (text.empty()) text = "x";
    }
    expect_clean(text);
  }
}

}  // namespace
}  // namespace beamlink
