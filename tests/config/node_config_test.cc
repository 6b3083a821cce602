// The TOML half of config/node_config.h (the environment half is in
// node_config_env_test.cc).
#include "config/node_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace beamlink::config {
namespace {

using std::chrono::milliseconds;

Result<NodeConfig> parse(std::string_view text) {
  return parse_config(text, "t.toml");
}

// The error message of a parse that must fail, or a marker when it did not.
std::string error_of(std::string_view text) {
  auto r = parse(text);
  if (r) return "<parsed>";
  return r.error().message;
}

TEST(NodeConfigTest, EmptyFileGivesTheDefaults) {
  auto r = parse("");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->node.name);
  EXPECT_FALSE(r->node.port_min);
  EXPECT_EQ(r->startup.min_peers, 0u);
  EXPECT_EQ(r->reconciler.backoff_initial, milliseconds(100));
  EXPECT_EQ(r->reconciler.backoff_max, milliseconds(5000));
  EXPECT_TRUE(r->topologies.empty());
  EXPECT_EQ(r->source, "t.toml");
}

TEST(NodeConfigTest, ReadsEveryKey) {
  auto r = parse(R"(
[node]
name = "app@10.0.0.1"
cookie = "secret"
cookie_file = "/run/cookie"
hidden = true
ticktime = 30
listen_address = "10.0.0.1"
dist_port_min = 9100
dist_port_max = 9155
epmd = false
epmd_port = 4370
peer_port = 9100
log_level = "warning"
liveness_probe = 2000
liveness_timeout = "5s"
liveness_watchers = 5

[startup]
min_peers = 2
timeout = "1m"
required = true

[reconciler]
backoff_initial = 250
backoff_max = "10s"
jitter = 0.5
resync_interval = "1.5s"
connect_threads = 4
max_connects = 200
connect_timeout = "3s"

[topologies.lan]
strategy = "epmd"
hosts = ["a@h1", "b@h2"]
)");
  ASSERT_TRUE(r) << r.error().to_string();
  const NodeSettings& n = r->node;
  EXPECT_EQ(n.name, "app@10.0.0.1");
  EXPECT_EQ(n.cookie, "secret");
  EXPECT_EQ(n.cookie_file, "/run/cookie");
  EXPECT_EQ(n.hidden, true);
  EXPECT_EQ(n.ticktime, milliseconds(30'000));
  EXPECT_EQ(n.listen_address, "10.0.0.1");
  EXPECT_EQ(n.port_min, 9100);
  EXPECT_EQ(n.port_max, 9155);
  EXPECT_EQ(n.use_epmd, false);
  EXPECT_EQ(n.epmd_port, 4370);
  EXPECT_EQ(n.peer_port, 9100);
  EXPECT_EQ(n.log_level, LogLevel::warning);
  EXPECT_EQ(n.liveness_probe, milliseconds(2000));
  EXPECT_EQ(n.liveness_timeout, milliseconds(5000));
  EXPECT_EQ(n.liveness_watchers, 5u);
  EXPECT_EQ(r->startup.min_peers, 2u);
  EXPECT_EQ(r->startup.timeout, milliseconds(60'000));
  EXPECT_TRUE(r->startup.required);
  EXPECT_EQ(r->reconciler.backoff_initial, milliseconds(250));
  EXPECT_EQ(r->reconciler.backoff_max, milliseconds(10'000));
  EXPECT_DOUBLE_EQ(r->reconciler.jitter, 0.5);
  EXPECT_EQ(r->reconciler.resync_interval, milliseconds(1500));
  EXPECT_EQ(r->reconciler.connect_threads, 4u);
  EXPECT_EQ(r->reconciler.max_connects, 200u);
  EXPECT_EQ(r->reconciler.connect_timeout, milliseconds(3000));
  ASSERT_EQ(r->topologies.size(), 1u);
  EXPECT_EQ(r->topologies[0].name, "lan");
  EXPECT_EQ(r->topologies[0].strategy, "epmd");
  ASSERT_EQ(r->topologies[0].options.size(), 1u);
  EXPECT_EQ(r->topologies[0].options.at("hosts"),
            OptionValue(std::vector<std::string>{"a@h1", "b@h2"}));
}

TEST(NodeConfigTest, DistPortIsMinAndMax) {
  auto r = parse("[node]\ndist_port = 9000\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.port_min, 9000);
  EXPECT_EQ(r->node.port_max, 9000);
}

TEST(NodeConfigTest, DurationsTakeTheKeysUnitOrAStringUnit) {
  struct Case {
    std::string text;
    milliseconds ticktime;  // [node] ticktime: integers are seconds
    milliseconds timeout;   // [startup] timeout: integers are milliseconds
  };
  for (const Case& c : {Case{"7", milliseconds(7000), milliseconds(7)},
                        Case{"\"500ms\"", milliseconds(500), milliseconds(500)},
                        Case{"\"5s\"", milliseconds(5000), milliseconds(5000)},
                        Case{"\"1.5s\"", milliseconds(1500), milliseconds(1500)},
                        Case{"\"2m\"", milliseconds(120'000), milliseconds(120'000)}}) {
    auto r = parse("[node]\nticktime = " + c.text + "\n[startup]\ntimeout = " + c.text + "\n");
    ASSERT_TRUE(r) << c.text << ": " << r.error().to_string();
    EXPECT_EQ(r->node.ticktime, c.ticktime) << c.text;
    EXPECT_EQ(r->startup.timeout, c.timeout) << c.text;
  }
}

TEST(NodeConfigTest, TopologiesKeepFileOrder) {
  auto r = parse(R"(
[topologies.zeta]
strategy = "epmd"
[topologies.alpha]
strategy = "local_epmd"
[topologies.mid]
strategy = "gossip"
)");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->topologies.size(), 3u);
  EXPECT_EQ(r->topologies[0].name, "zeta");
  EXPECT_EQ(r->topologies[1].name, "alpha");
  EXPECT_EQ(r->topologies[2].name, "mid");
  EXPECT_EQ(r->topologies[1].strategy, "local_epmd");
}

TEST(NodeConfigTest, TopologyOptionsKeepTheirTomlTypes) {
  auto r = parse(R"(
[topologies.k8s]
strategy = "kubernetes"
watch = true
polling_interval = 5000
ratio = 0.25
mode = "ip"
hosts = ["a", "b"]
none = []
)");
  ASSERT_TRUE(r) << r.error().to_string();
  const StrategyOptions& o = r->topologies.at(0).options;
  EXPECT_EQ(o.size(), 6u);  // strategy is not an option
  EXPECT_EQ(o.at("watch"), OptionValue(true));
  EXPECT_EQ(o.at("polling_interval"), OptionValue(int64_t{5000}));
  EXPECT_EQ(o.at("ratio"), OptionValue(0.25));
  EXPECT_EQ(o.at("mode"), OptionValue(std::string("ip")));
  EXPECT_EQ(o.at("hosts"), OptionValue(std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.at("none"), OptionValue(std::vector<std::string>{}));
}

TEST(NodeConfigTest, UnknownKeysAreErrorsAtTheirPosition) {
  EXPECT_EQ(error_of("[node]\nname = \"a@b\"\nnmae = \"x\"\n"),
            "t.toml:3:1: unknown key 'nmae' in [node]");
  EXPECT_EQ(error_of("[startup]\n  min_peer = 1\n"),
            "t.toml:2:3: unknown key 'min_peer' in [startup]");
  EXPECT_EQ(error_of("[reconciler]\nbackoff = 1\n"),
            "t.toml:2:1: unknown key 'backoff' in [reconciler]");
  EXPECT_EQ(error_of("\n\n[nodes]\nname = \"a@b\"\n"),
            "t.toml:3:2: unknown key 'nodes' at top level");
  EXPECT_EQ(error_of("verbose = true\n"), "t.toml:1:1: unknown key 'verbose' at top level");
}

TEST(NodeConfigTest, SyntaxErrorsAreMalformedWithPosition) {
  auto r = parse("[node]\nname = \"unterminated\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_TRUE(r.error().message.starts_with("t.toml:2:")) << r.error().message;
}

TEST(NodeConfigTest, WrongTypesNameTheKeyAndThePosition) {
  EXPECT_EQ(error_of("[node]\nhidden = \"yes\"\n"),
            "t.toml:2:10: node.hidden must be true or false, got a string");
  EXPECT_EQ(error_of("[node]\nname = 42\n"),
            "t.toml:2:8: node.name must be a string, got an integer");
  EXPECT_EQ(error_of("[startup]\nmin_peers = \"3\"\n"),
            "t.toml:2:13: startup.min_peers must be an integer, got a string");
  EXPECT_EQ(error_of("[reconciler]\njitter = \"low\"\n"),
            "t.toml:2:10: reconciler.jitter must be a number, got a string");
  EXPECT_EQ(error_of("node = 1\n"), "t.toml:1:8: node must be a table ([node]), got an integer");
  auto r = parse("[node]\nepmd = 1\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(NodeConfigTest, BadValuesAreRefused) {
  EXPECT_EQ(error_of("[node]\nname = \"app\"\n"),
            "t.toml:2:8: node.name must be name@host, got \"app\"");
  EXPECT_EQ(error_of("[node]\nlog_level = \"loud\"\n"),
            "t.toml:2:13: node.log_level must be debug, info, warning or error, got \"loud\"");
  EXPECT_EQ(error_of("[node]\ncookie = \"\"\n"), "t.toml:2:10: node.cookie must not be empty");
  EXPECT_EQ(error_of("[startup]\nmin_peers = -1\n"),
            "t.toml:2:13: startup.min_peers must be in 0..1000000, got -1");
  EXPECT_EQ(error_of("[reconciler]\njitter = 1.5\n"),
            "t.toml:2:10: reconciler.jitter must be in 0.000000..1.000000");
  EXPECT_EQ(error_of("[reconciler]\nbackoff_initial = 6000\n"),
            "t.toml:2:19: reconciler.backoff_initial (6000 ms) is above reconciler.backoff_max "
            "(5000 ms)");
}

TEST(NodeConfigTest, PortsMustBeOneTo65535) {
  for (const char* key : {"dist_port", "epmd_port", "peer_port"}) {
    for (const char* value : {"0", "65536", "-5"}) {
      std::string text = std::string("[node]\n") + key + " = " + value + "\n";
      EXPECT_EQ(error_of(text), "t.toml:2:" + std::to_string(std::string(key).size() + 4) +
                                    ": node." + key + " must be in 1..65535, got " + value);
    }
    auto r = parse(std::string("[node]\n") + key + " = 65535\n");
    EXPECT_TRUE(r) << key << ": " << r.error().to_string();
  }
  EXPECT_EQ(error_of("[node]\nepmd_port = \"4369\"\n"),
            "t.toml:2:13: node.epmd_port must be an integer, got a string");
}

TEST(NodeConfigTest, BadDurationsAreRefused) {
  EXPECT_EQ(error_of("[node]\nticktime = \"fast\"\n"),
            "t.toml:2:12: node.ticktime must be a duration (integer seconds, or a string like "
            "\"500ms\", \"5s\", \"2m\"), got \"fast\"");
  EXPECT_EQ(error_of("[startup]\ntimeout = \"5 s\"\n"),
            "t.toml:2:11: startup.timeout must be a duration (integer ms, or a string like "
            "\"500ms\", \"5s\", \"2m\"), got \"5 s\"");
  EXPECT_EQ(error_of("[startup]\ntimeout = -1\n"),
            "t.toml:2:11: startup.timeout must be a duration (integer ms, or a string like "
            "\"500ms\", \"5s\", \"2m\"), got -1");
  EXPECT_EQ(error_of("[startup]\ntimeout = 1.5\n"),
            "t.toml:2:11: startup.timeout must be a duration (integer ms, or a string like "
            "\"500ms\", \"5s\", \"2m\"), got a float");
  EXPECT_EQ(error_of("[startup]\ntimeout = \"30\"\n"),
            "t.toml:2:11: startup.timeout must be a duration (integer ms, or a string like "
            "\"500ms\", \"5s\", \"2m\"), got \"30\"");
  EXPECT_EQ(error_of("[node]\nticktime = 0\n"),
            "t.toml:2:12: node.ticktime must be more than zero");
  EXPECT_EQ(error_of("[node]\nliveness_timeout = 0\n"),
            "t.toml:2:20: node.liveness_timeout must be more than zero");
  auto all_watched = parse("[node]\nliveness_watchers = 0\n");  // every connection watched
  ASSERT_TRUE(all_watched) << all_watched.error().to_string();
  EXPECT_EQ(all_watched->node.liveness_watchers, 0u);
  EXPECT_FALSE(parse("[node]\nliveness_watchers = 65\n"));
  auto probe_off = parse("[node]\nliveness_probe = 0\n");  // zero turns probing off
  ASSERT_TRUE(probe_off) << probe_off.error().to_string();
  EXPECT_EQ(probe_off->node.liveness_probe, milliseconds(0));
  auto zero_timeout = parse("[startup]\ntimeout = 0\n");
  EXPECT_TRUE(zero_timeout) << zero_timeout.error().to_string();
}

TEST(NodeConfigTest, DistPortAndARangeExcludeEachOther) {
  EXPECT_EQ(error_of("[node]\ndist_port = 9000\ndist_port_min = 9000\ndist_port_max = 9010\n"),
            "t.toml:3:17: node.dist_port and node.dist_port_min/dist_port_max are mutually "
            "exclusive");
  EXPECT_EQ(error_of("[node]\ndist_port_max = 9010\ndist_port = 9000\n"),
            "t.toml:2:17: node.dist_port and node.dist_port_min/dist_port_max are mutually "
            "exclusive");
  EXPECT_EQ(error_of("[node]\ndist_port_min = 9000\n"),
            "t.toml:2:17: node.dist_port_min and node.dist_port_max go together");
  EXPECT_EQ(error_of("[node]\ndist_port_min = 9010\ndist_port_max = 9000\n"),
            "t.toml:2:17: node.dist_port_min is above node.dist_port_max");
}

TEST(NodeConfigTest, TopologyErrors) {
  EXPECT_EQ(error_of("[topologies.lan]\nhosts = [\"a@h\"]\n"),
            "t.toml:1:1: [topologies.lan] has no strategy (e.g. strategy = \"epmd\")");
  EXPECT_EQ(error_of("[topologies.lan]\nstrategy = 1\n"),
            "t.toml:2:12: topologies.lan.strategy must be a string, got an integer");
  EXPECT_EQ(error_of("[topologies.lan]\nstrategy = \"epmd\"\n[topologies.lan.extra]\nx = 1\n"),
            "t.toml:3:1: topologies.lan.extra is a nested table; topology options are values or "
            "lists of strings");
  EXPECT_EQ(error_of("[topologies.lan]\nstrategy = \"epmd\"\nopts = { a = 1 }\n"),
            "t.toml:3:8: topologies.lan.opts is a nested table; topology options are values or "
            "lists of strings");
  EXPECT_EQ(error_of("[topologies.lan]\nstrategy = \"epmd\"\nhosts = [\"a@h\", 2]\n"),
            "t.toml:3:17: topologies.lan.hosts[1] must be a string, got an integer (option lists "
            "hold strings only)");
  EXPECT_EQ(error_of("[topologies]\nlan = \"epmd\"\n"),
            "t.toml:2:7: topologies.lan must be a table ([topologies.lan] with a strategy), got a "
            "string");
  EXPECT_EQ(error_of("[topologies.lan]\nstrategy = \"epmd\"\nsince = 1979-05-27\n"),
            "t.toml:3:9: topologies.lan.since must be a boolean, number, string or list of "
            "strings, got a date");
}

TEST(NodeConfigTest, LoadsAFileAndNamesItInErrors) {
  std::string path = ::testing::TempDir() + "/node_config_" + std::to_string(::getpid()) + ".toml";
  std::ofstream(path) << "[node]\nname = \"a@h\"\nbogus = 1\n";
  auto bad = load_config_file(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, path + ":3:1: unknown key 'bogus' in [node]");
  std::ofstream(path) << "[node]\nname = \"a@h\"\n";
  auto good = load_config_file(path);
  ASSERT_TRUE(good) << good.error().to_string();
  EXPECT_EQ(good->node.name, "a@h");
  EXPECT_EQ(good->source, path);
  std::remove(path.c_str());
  auto missing = load_config_file(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(missing.error().message, "no config file " + path);
}

TEST(NodeConfigTest, ParseLogLevel) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("info"), LogLevel::info);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("error"), LogLevel::error);
  EXPECT_EQ(parse_log_level("warn"), std::nullopt);
  EXPECT_EQ(parse_log_level("INFO"), std::nullopt);
  EXPECT_EQ(parse_log_level(""), std::nullopt);
}

TEST(NodeConfigTest, DevExampleParses) {
  auto r = load_config_file(BEAMLINK_SOURCE_DIR "/examples/config/dev.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "a@127.0.0.2");
  EXPECT_EQ(r->startup.min_peers, 0u);
  ASSERT_EQ(r->topologies.size(), 1u);
  EXPECT_EQ(r->topologies[0].strategy, "epmd");
  EXPECT_EQ(r->topologies[0].options.at("hosts"),
            OptionValue(std::vector<std::string>{"a@127.0.0.2", "b@127.0.0.3", "c@127.0.0.4"}));
}

TEST(NodeConfigTest, KubernetesExampleParses) {
  auto r = load_config_file(BEAMLINK_SOURCE_DIR "/examples/config/production-kubernetes.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->node.name);  // from RELEASE_NODE / BEAMLINK_NODE
  EXPECT_EQ(r->node.port_min, 9000);
  EXPECT_EQ(r->node.port_max, 9000);
  EXPECT_EQ(r->node.use_epmd, true);
  EXPECT_EQ(r->startup.min_peers, 1u);
  EXPECT_EQ(r->startup.timeout, milliseconds(30'000));
  EXPECT_FALSE(r->startup.required);
  ASSERT_EQ(r->topologies.size(), 1u);
  const TopologySpec& k8s = r->topologies[0];
  EXPECT_EQ(k8s.name, "k8s");
  EXPECT_EQ(k8s.strategy, "kubernetes");
  EXPECT_EQ(k8s.options.at("kubernetes_node_basename"), OptionValue(std::string("myapp")));
  EXPECT_EQ(k8s.options.at("kubernetes_selector"), OptionValue(std::string("app=myapp")));
  EXPECT_EQ(k8s.options.at("kubernetes_ip_lookup_mode"),
            OptionValue(std::string("endpointslices")));
  EXPECT_EQ(k8s.options.at("mode"), OptionValue(std::string("ip")));
  EXPECT_EQ(k8s.options.at("polling_interval"), OptionValue(int64_t{5000}));
  EXPECT_EQ(k8s.options.at("watch"), OptionValue(true));
}

}  // namespace
}  // namespace beamlink::config
