#include "discovery/backoff.h"

#include <gtest/gtest.h>

namespace beamlink::discovery {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromInitialUpToMax) {
  Backoff backoff{milliseconds(100), milliseconds(1000), 0.0};
  EXPECT_EQ(backoff.base(0), milliseconds(0));
  EXPECT_EQ(backoff.base(1), milliseconds(100));
  EXPECT_EQ(backoff.base(2), milliseconds(200));
  EXPECT_EQ(backoff.base(3), milliseconds(400));
  EXPECT_EQ(backoff.base(4), milliseconds(800));
  EXPECT_EQ(backoff.base(5), milliseconds(1000));
  EXPECT_EQ(backoff.base(1000), milliseconds(1000));  // no overflow
  std::mt19937_64 random(1);
  EXPECT_EQ(backoff.delay(3, random), milliseconds(400));  // no jitter: exact
}

TEST(Backoff, JitterStaysInsideItsBandAndVaries) {
  Backoff backoff{milliseconds(1000), milliseconds(1000), 0.2};
  std::mt19937_64 random(42);
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto d = backoff.delay(1, random).count();
    EXPECT_GE(d, 800);
    EXPECT_LE(d, 1200);
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 100u);  // spread, not a constant
}

TEST(Backoff, NeverZero) {
  Backoff backoff{milliseconds(0), milliseconds(0), 0.5};
  std::mt19937_64 random(7);
  EXPECT_EQ(backoff.delay(1, random), milliseconds(1));
}

}  // namespace
}  // namespace beamlink::discovery
