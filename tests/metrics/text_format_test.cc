#include "metrics/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace beamlink::metrics {
namespace {

TEST(TextFormat, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain@host"), "plain@host");
}

TEST(TextFormat, EscapesBackslashAndNewlineButNotQuotesInHelp) {
  EXPECT_EQ(escape_help("a \"quoted\" \\ line\nnext"), "a \"quoted\" \\\\ line\\nnext");
}

TEST(TextFormat, FormatsWholeNumbersAsIntegersAndSpecialValuesByName) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(18446744073709.0), "18446744073709");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(TextFormat, WritesHelpTypeAndSamplesSortedByLabels) {
  Registry registry;
  ASSERT_TRUE(registry.counter("x_total", "Things.", {{"peer", "b@h"}}, 2));
  ASSERT_TRUE(registry.counter("x_total", "ignored", {{"peer", "a@h"}}, 1));
  ASSERT_TRUE(registry.gauge("a_now", "First by name.", {}, 7));
  EXPECT_EQ(encode_text(registry),
            "# HELP a_now First by name.\n"
            "# TYPE a_now gauge\n"
            "a_now 7\n"
            "# HELP x_total Things.\n"
            "# TYPE x_total counter\n"
            "x_total{peer=\"a@h\"} 1\n"
            "x_total{peer=\"b@h\"} 2\n");
}

TEST(TextFormat, WritesEscapedLabelValues) {
  Registry registry;
  ASSERT_TRUE(registry.gauge("g", "h", {{"name", "a\"b\\c\nd"}, {"k", "v"}}, 1));
  EXPECT_NE(encode_text(registry).find("g{name=\"a\\\"b\\\\c\\nd\",k=\"v\"} 1\n"),
            std::string::npos);
}

TEST(TextFormat, WritesCumulativeBucketsEndingWithInfThenSumAndCount) {
  Registry registry;
  HistogramSnapshot h{{0.1, 1}, {2, 3, 1}, 2.5, 6};
  ASSERT_TRUE(registry.histogram("lat_seconds", "Latency.", {{"dir", "in"}}, h));
  EXPECT_EQ(encode_text(registry),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{dir=\"in\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{dir=\"in\",le=\"1\"} 5\n"
            "lat_seconds_bucket{dir=\"in\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{dir=\"in\"} 2.5\n"
            "lat_seconds_count{dir=\"in\"} 6\n");
}

TEST(TextFormat, CountOfAHistogramIsItsBucketsEvenIfTheTotalMovedOn) {
  Registry registry;
  // A snapshot taken while observations landed: count read later than buckets.
  HistogramSnapshot h{{1}, {1, 0}, 0.5, 3};
  ASSERT_TRUE(registry.histogram("lat_seconds", "Latency.", {}, h));
  const std::string text = encode_text(registry);
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count 1\n"), std::string::npos) << text;
}

TEST(TextFormat, EmptyRegistryIsEmptyText) {
  EXPECT_EQ(encode_text(Registry{}), "");
}

}  // namespace
}  // namespace beamlink::metrics
