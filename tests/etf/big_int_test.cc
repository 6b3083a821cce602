#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "beamlink/term.h"

namespace beamlink {
namespace {

BigInt big(bool negative, std::vector<uint8_t> magnitude) {
  return BigInt{negative, magnitude};
}

TEST(BigIntDecimal, PrintsPowersOfTwo) {
  EXPECT_EQ(big(false, {0, 0, 0, 0, 0, 0, 0, 0x80}).to_decimal(), "9223372036854775808");
  EXPECT_EQ(big(false, {0, 0, 0, 0, 0, 0, 0, 0, 1}).to_decimal(), "18446744073709551616");
  EXPECT_EQ(big(true, {0, 0, 0, 0, 0, 0, 0, 0, 1}).to_decimal(), "-18446744073709551616");
  EXPECT_EQ(big(false, {}).to_decimal(), "0");
}

TEST(BigIntDecimal, PrintsGroupsWithInnerZeros) {
  // 10^18 + 1 needs zero padding inside the base 10^9 groups.
  auto parsed = BigInt::parse_decimal("1000000000000000000000000001");
  ASSERT_TRUE(parsed && parsed->is<BigInt>());
  EXPECT_EQ(parsed->as<BigInt>().to_decimal(), "1000000000000000000000000001");
}

TEST(BigIntDecimal, ParsesInt64EdgesAsInt64) {
  EXPECT_EQ(*BigInt::parse_decimal("9223372036854775807"),
            Term(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(*BigInt::parse_decimal("-9223372036854775808"),
            Term(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(*BigInt::parse_decimal("-0"), Term(0));
  EXPECT_EQ(*BigInt::parse_decimal("+42"), Term(42));
  EXPECT_EQ(*BigInt::parse_decimal("000123"), Term(123));
}

TEST(BigIntDecimal, ParsesJustOutsideInt64AsBigInt) {
  auto above = BigInt::parse_decimal("9223372036854775808");
  ASSERT_TRUE(above && above->is<BigInt>());
  EXPECT_EQ(above->as<BigInt>(), big(false, {0, 0, 0, 0, 0, 0, 0, 0x80}));
  auto below = BigInt::parse_decimal("-9223372036854775809");
  ASSERT_TRUE(below && below->is<BigInt>());
  EXPECT_EQ(below->as<BigInt>(), big(true, {1, 0, 0, 0, 0, 0, 0, 0x80}));
}

TEST(BigIntDecimal, MagnitudeHasNoTrailingZeroBytes) {
  auto parsed = BigInt::parse_decimal("000000000000000000000000018446744073709551616");
  ASSERT_TRUE(parsed && parsed->is<BigInt>());
  EXPECT_EQ(parsed->as<BigInt>().magnitude.size(), 9u);
}

TEST(BigIntDecimal, RejectsWhatIsNotADecimalInteger) {
  for (const char* bad : {"", "-", "+", "12a", " 1", "1 ", "1.0", "--1", "0x10", "1_000", "１"}) {
    EXPECT_FALSE(BigInt::parse_decimal(bad).has_value()) << bad;
  }
}

TEST(BigIntDecimal, BoundsTheDigitCount) {
  EXPECT_TRUE(BigInt::parse_decimal(std::string(100000, '7')).has_value());
  EXPECT_FALSE(BigInt::parse_decimal(std::string(100001, '7')).has_value());
}

TEST(BigIntDecimal, RoundTripsRandomNumbersOfManySizes) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 300; ++i) {
    size_t digits = 20 + random() % (i < 290 ? 200 : 5000);
    std::string text(1, char('1' + random() % 9));
    while (text.size() < digits) text += char('0' + random() % 10);
    if (random() % 2) text.insert(text.begin(), '-');
    auto parsed = BigInt::parse_decimal(text);
    ASSERT_TRUE(parsed && parsed->is<BigInt>()) << text;
    EXPECT_EQ(parsed->as<BigInt>().to_decimal(), text);
  }
}

TEST(BigIntDecimal, HandlesTenThousandDigits) {
  std::string ten_pow = "1" + std::string(9999, '0');
  auto parsed = BigInt::parse_decimal(ten_pow);
  ASSERT_TRUE(parsed && parsed->is<BigInt>());
  EXPECT_EQ(parsed->as<BigInt>().to_decimal(), ten_pow);
}

TEST(BigIntDouble, ConvertsWithCorrectRounding) {
  EXPECT_EQ(big(false, {0, 0, 0, 0, 0, 0, 0, 0, 1}).to_double(), 18446744073709551616.0);
  EXPECT_EQ(big(true, {0, 0, 0, 0, 0, 0, 0, 0, 1}).to_double(), -18446744073709551616.0);
  // 2^64 + 2^11 is halfway between two doubles: ties go to even (2^64).
  EXPECT_EQ(big(false, {0, 0x08, 0, 0, 0, 0, 0, 0, 1}).to_double(), 18446744073709551616.0);
  // One more unit below the halfway point must round up.
  EXPECT_EQ(big(false, {1, 0x08, 0, 0, 0, 0, 0, 0, 1}).to_double(),
            std::nextafter(18446744073709551616.0, 1e30));
}

TEST(BigIntDouble, MatchesStrtodForLongNumbers) {
  std::string text = "123456789012345678901234567890123456789012345678901234567890";
  EXPECT_EQ(BigInt::parse_decimal(text)->as<BigInt>().to_double(), std::stod(text));
}

TEST(BigIntDouble, OverflowsToInfinity) {
  std::vector<uint8_t> huge(200, 0xFF);
  EXPECT_TRUE(std::isinf(big(false, huge).to_double()));
  EXPECT_LT(big(true, huge).to_double(), 0);
}

}  // namespace
}  // namespace beamlink
