#include "config/value_parsers.h"

#include <gtest/gtest.h>

namespace beamlink::config {
namespace {

using std::chrono::milliseconds;

TEST(ValueParsersTest, DurationsCarryTheirUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("5s"), milliseconds(5000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  for (const char* bad :
       {"", "5", "s", "5 s", "-5s", "5sec", "1e3ms", ".s", "1..2s", "99999999999h"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(ValueParsersTest, BareIntegersTakeTheDefaultUnit) {
  EXPECT_EQ(parse_duration_or("60", milliseconds(1000)), milliseconds(60'000));
  EXPECT_EQ(parse_duration_or("60", milliseconds(1)), milliseconds(60));
  EXPECT_EQ(parse_duration_or("250ms", milliseconds(1000)), milliseconds(250));
  EXPECT_EQ(parse_duration_or("-1", milliseconds(1)), std::nullopt);
}

TEST(ValueParsersTest, PortsAndRanges) {
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("65535"), 65535);
  for (const char* bad : {"0", "65536", "", "80a", " 80", "+80", "-1"}) {
    EXPECT_EQ(parse_port(bad), std::nullopt) << bad;
  }
  auto single = parse_port_range("9000");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->min, 9000);
  EXPECT_EQ(single->max, 9000);
  auto range = parse_port_range("9000-9010");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->min, 9000);
  EXPECT_EQ(range->max, 9010);
  for (const char* bad : {"9010-9000", "-9000", "9000-", "9000-9010-9020", "a-b"}) {
    EXPECT_FALSE(parse_port_range(bad)) << bad;
  }
}

TEST(ValueParsersTest, NodeNamesAndBooleans) {
  EXPECT_TRUE(is_node_name("a@h"));
  EXPECT_TRUE(is_node_name("app@10.0.0.1"));
  for (const char* bad : {"", "a", "@h", "a@", "a@b@c"}) EXPECT_FALSE(is_node_name(bad)) << bad;
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_EQ(parse_bool("1"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_EQ(parse_bool("no"), false);
  EXPECT_EQ(parse_bool("0"), false);
  EXPECT_EQ(parse_bool("TRUE"), std::nullopt);
  EXPECT_EQ(parse_bool("on"), std::nullopt);
}

}  // namespace
}  // namespace beamlink::config
