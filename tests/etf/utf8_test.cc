// utf8_code_points: the ASCII fast path (eight bytes at a time) must agree
// with the byte-by-byte decoder wherever a multi-byte or invalid sequence
// sits relative to the eight-byte words.
#include "etf/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace beamlink::etf {
namespace {

TEST(Utf8CodePoints, CountsAscii) {
  EXPECT_EQ(utf8_code_points(""), 0u);
  EXPECT_EQ(utf8_code_points("a"), 1u);
  EXPECT_EQ(utf8_code_points("worker@127.0.0.1"), 16u);
  EXPECT_EQ(utf8_code_points(std::string(255, 'x')), 255u);
}

TEST(Utf8CodePoints, MultiByteAtEveryOffset) {
  for (size_t before = 0; before < 20; ++before) {
    for (size_t after = 0; after < 10; ++after) {
      std::string text = std::string(before, 'a') + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" +
                         std::string(after, 'b');
      EXPECT_EQ(utf8_code_points(text), before + 3 + after) << before << " " << after;
    }
  }
}

TEST(Utf8CodePoints, RejectsBadBytesAtEveryOffset) {
  for (const char* bad : {"\x80", "\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    for (size_t before = 0; before < 20; ++before) {
      for (size_t after : {0, 1, 9}) {
        std::string text = std::string(before, 'a') + bad + std::string(after, 'b');
        EXPECT_FALSE(utf8_code_points(text)) << before << " " << after;
      }
    }
  }
}

}  // namespace
}  // namespace beamlink::etf
