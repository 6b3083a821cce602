#include "discovery/option_reader.h"

#include <gtest/gtest.h>

#include "beamlink/cluster.h"
#include "discovery/strategy_table.h"

namespace beamlink::discovery {
namespace {

TopologySpec spec(std::string strategy, StrategyOptions options) {
  return TopologySpec{"t1", std::move(strategy), std::move(options)};
}

TEST(OptionReader, ReadsTypedValuesAndDurations) {
  auto s = spec("x", {{"a", std::string("v")},
                      {"b", int64_t{7}},
                      {"c", true},
                      {"d", std::vector<std::string>{"p", "q"}},
                      {"e", int64_t{1500}},
                      {"f", std::string("2s")}});
  OptionReader r(s);
  EXPECT_EQ(r.string("a"), "v");
  EXPECT_EQ(r.integer("b", 0, 10), 7);
  EXPECT_EQ(r.boolean("c"), true);
  EXPECT_EQ(r.string_list("d"), (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(r.duration("e"), std::chrono::milliseconds(1500));
  EXPECT_EQ(r.duration("f"), std::chrono::milliseconds(2000));
  EXPECT_EQ(r.string("absent"), std::nullopt);
  EXPECT_TRUE(r.finish());
}

TEST(OptionReader, UnknownKeyNamesTopologyStrategyAndKnownKeys) {
  auto s = spec("epmd", {{"hosts", std::vector<std::string>{"a@h"}}, {"hostz", int64_t{1}}});
  OptionReader r(s);
  r.string_list("hosts");
  auto done = r.finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, Errc::invalid_argument);
  EXPECT_NE(done.error().message.find("topology 't1' (strategy epmd)"), std::string::npos);
  EXPECT_NE(done.error().message.find("unknown option 'hostz'"), std::string::npos);
  EXPECT_NE(done.error().message.find("known: hosts"), std::string::npos);
}

TEST(OptionReader, WrongTypesAndRangesAreErrors) {
  auto s = spec("x", {{"port", std::string("45892")}});
  OptionReader r(s);
  EXPECT_EQ(r.integer("port", 1, 65535), std::nullopt);
  auto done = r.finish();
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().message.find("port must be an integer, got a string"), std::string::npos);

  auto big = spec("x", {{"port", int64_t{70000}}});
  OptionReader r2(big);
  r2.integer("port", 1, 65535);
  ASSERT_FALSE(r2.finish());

  auto bad_duration = spec("x", {{"timeout", std::string("5 parsecs")}});
  OptionReader r3(bad_duration);
  EXPECT_EQ(r3.duration("timeout"), std::nullopt);
  auto d = r3.finish();
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("5 parsecs"), std::string::npos);
}

TEST(StrategyTable, KnowsTheBuiltInsAndRejectsUnknownNames) {
  auto names = strategy_names();
  for (const char* name : {"epmd", "erlang_hosts", "local_epmd", "gossip"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  auto unknown = create_strategy(spec("kubernetez", {}));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown strategy 'kubernetez'"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("epmd"), std::string::npos);  // lists the known ones
}

TEST(StrategyTable, EpmdStrategyValidatesItsOptions) {
  EXPECT_TRUE(create_strategy(spec(
      "epmd", {{"hosts", std::vector<std::string>{"a@h", "b@h"}}, {"timeout", int64_t{500}}})));
  auto missing = create_strategy(spec("epmd", {}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("hosts is required"), std::string::npos);
  auto bad_name = create_strategy(spec("epmd", {{"hosts", std::vector<std::string>{"nohost"}}}));
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.error().message.find("not name@host"), std::string::npos);
  auto typo = create_strategy(
      spec("epmd", {{"hosts", std::vector<std::string>{"a@h"}}, {"polling", int64_t{1}}}));
  ASSERT_FALSE(typo);
}

TEST(StrategyTable, EpmdLookupStrategiesValidateTheirOptions) {
  EXPECT_TRUE(create_strategy(spec("local_epmd", {{"polling_interval", std::string("1s")}})));
  EXPECT_FALSE(create_strategy(spec("local_epmd", {{"hosts", int64_t{1}}})));
  EXPECT_TRUE(create_strategy(
      spec("erlang_hosts", {{"hosts_file", std::string("/x")}, {"timeout", int64_t{1000}}})));
  EXPECT_FALSE(create_strategy(spec("erlang_hosts", {{"polling_interval", int64_t{0}}})));
}

TEST(ClusterValidate, RejectsDuplicateTopologyNames) {
  std::vector<TopologySpec> topologies = {
      spec("epmd", {{"hosts", std::vector<std::string>{"a@h"}}}),
      spec("epmd", {{"hosts", std::vector<std::string>{"b@h"}}})};
  auto result = Cluster::validate(topologies);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("defined twice"), std::string::npos);
}

}  // namespace
}  // namespace beamlink::discovery
