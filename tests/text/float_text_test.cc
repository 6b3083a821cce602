#include "text/float_text.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <random>
#include <string>

namespace beamlink::text {
namespace {

// Every expected string below is what OTP 25's io_lib:format("~p", [F])
// printed for that float.
TEST(FormatFloat, MatchesErlangsOutput) {
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {0.1, "0.1"},
      {1.0e100, "1.0e100"},
      {1.5e-7, "1.5e-7"},
      {123456.0, "123456.0"},
      {1234567.0, "1234567.0"},
      {1.0e15, "1.0e15"},
      {1.0e16, "1.0e16"},
      {1.0e23, "1.0e23"},
      {0.001, "0.001"},
      {0.0001, "0.0001"},
      {1.0e-5, "1.0e-5"},
      {12345678901234567890.0, "1.2345678901234567e19"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {3.141592653589793, "3.141592653589793"},
      {2.0e-308, "2.0e-308"},
      {5.0e-324, "5.0e-324"},
      {1.7976931348623157e308, "1.7976931348623157e308"},
      {100.0, "100.0"},
      {1000.0, "1.0e3"},
      {1230.0, "1230.0"},
      {1200.0, "1.2e3"},
      {0.000123, "1.23e-4"},
      {0.5, "0.5"},
      {123.456, "123.456"},
      {123456789012345.0, "123456789012345.0"},
      {9007199254740991.0, "9007199254740991.0"},
      {9007199254740992.0, "9.007199254740992e15"},
      {9007199254740994.0, "9.007199254740994e15"},
      {-1.5, "-1.5"},
      {1.0e-300, "1.0e-300"},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(format_float(value), expected) << expected;
  }
}

TEST(FormatFloat, ReadsBackToTheSameDouble) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = random();
    double value = std::bit_cast<double>(bits);
    if (!std::isfinite(value)) continue;
    std::string text = format_float(value);
    double back = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(error, std::errc()) << text;
    ASSERT_EQ(std::bit_cast<uint64_t>(back), bits) << text;
  }
}

TEST(FormatFloat, NamesNonFiniteValues) {
  EXPECT_EQ(format_float(INFINITY), "inf");
  EXPECT_EQ(format_float(-INFINITY), "-inf");
  EXPECT_EQ(format_float(NAN), "nan");
}

}  // namespace
}  // namespace beamlink::text
