#include "metrics/latency_histogram.h"

#include <gtest/gtest.h>

namespace beamlink::metrics {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LatencyHistogram, PutsEachObservationInTheFirstBucketNotBelowIt) {
  LatencyHistogram histogram;
  histogram.record(microseconds(100));  // <= 0.0005
  histogram.record(milliseconds(1));    // exactly 0.001: "le" is inclusive
  histogram.record(milliseconds(3));    // <= 0.005
  histogram.record(seconds(60));        // above every bound
  const HistogramSnapshot s = histogram.snapshot();
  ASSERT_EQ(s.bounds.size(), LatencyHistogram::kBounds.size());
  ASSERT_EQ(s.counts.size(), s.bounds.size() + 1);
  EXPECT_EQ(s.counts[0], 1u);
  EXPECT_EQ(s.counts[1], 1u);
  EXPECT_EQ(s.counts[2], 0u);
  EXPECT_EQ(s.counts[3], 1u);
  EXPECT_EQ(s.counts.back(), 1u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.sum, 0.0001 + 0.001 + 0.003 + 60);
}

TEST(LatencyHistogram, CountsANegativeDurationAsZero) {
  LatencyHistogram histogram;
  histogram.record(milliseconds(-5));
  const HistogramSnapshot s = histogram.snapshot();
  EXPECT_EQ(s.counts[0], 1u);
  EXPECT_EQ(s.sum, 0);
}

}  // namespace
}  // namespace beamlink::metrics
