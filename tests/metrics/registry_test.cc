#include "metrics/registry.h"

#include <gtest/gtest.h>

namespace beamlink::metrics {
namespace {

TEST(Registry, ChecksMetricAndLabelNames) {
  EXPECT_TRUE(valid_metric_name("beamlink_dist:rate_5m"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("with-dash"));
  EXPECT_FALSE(valid_metric_name("with space"));
  EXPECT_TRUE(valid_label_name("peer"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("0a"));
}

TEST(Registry, RefusesBadNamesReservedLabelsAndTypeClashes) {
  Registry registry;
  EXPECT_FALSE(registry.gauge("bad-name", "h", {}, 1));
  EXPECT_FALSE(registry.gauge("g", "h", {{"bad-label", "v"}}, 1));
  EXPECT_FALSE(registry.gauge("g", "h", {{"le", "1"}}, 1));
  EXPECT_FALSE(registry.gauge("g", "h", {{"quantile", "0.5"}}, 1));
  EXPECT_TRUE(registry.families().empty());
  EXPECT_TRUE(registry.gauge("g", "h", {}, 1));
  EXPECT_FALSE(registry.counter("g", "h", {{"k", "v"}}, 1));
  ASSERT_EQ(registry.families().size(), 1u);
  EXPECT_EQ(registry.families().at("g").samples.size(), 1u);
}

TEST(Registry, RefusesHistogramsWhoseBucketsDoNotFitTheirBounds) {
  Registry registry;
  EXPECT_FALSE(registry.histogram("h_seconds", "h", {}, HistogramSnapshot{{1, 2}, {0, 0}, 0, 0}));
  EXPECT_FALSE(
      registry.histogram("h_seconds", "h", {}, HistogramSnapshot{{2, 1}, {0, 0, 0}, 0, 0}));
  EXPECT_TRUE(registry.histogram("h_seconds", "h", {}, HistogramSnapshot{{1, 2}, {0, 0, 0}, 0, 0}));
}

TEST(Registry, KeepsTheFirstHelpOfAFamily) {
  Registry registry;
  ASSERT_TRUE(registry.counter("c_total", "first", {{"k", "a"}}, 1));
  ASSERT_TRUE(registry.counter("c_total", "", {{"k", "b"}}, 2));
  EXPECT_EQ(registry.families().at("c_total").help, "first");
  EXPECT_EQ(registry.families().at("c_total").samples.size(), 2u);
}

}  // namespace
}  // namespace beamlink::metrics
