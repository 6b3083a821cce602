// apply_env from config/node_config.h: the environment over the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "config/host_name.h"
#include "config/node_config.h"

namespace beamlink::config {
namespace {

using std::chrono::milliseconds;

class NodeConfigEnvTest : public ::testing::Test {
 protected:
  EnvLookup env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  // `file_toml` parsed, then the environment applied.
  Result<NodeConfig> load(std::string_view file_toml = "") {
    auto config = parse_config(file_toml, "t.toml");
    if (!config) return config;
    auto applied = apply_env(*config, env());
    if (!applied) return std::unexpected(applied.error());
    return config;
  }
  std::map<std::string, std::string> vars_;
};

TEST_F(NodeConfigEnvTest, NoVariablesLeaveTheFileAlone) {
  auto r = load("[node]\nname = \"file@h\"\nepmd_port = 4370\n[startup]\nmin_peers = 3\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "file@h");
  EXPECT_EQ(r->node.epmd_port, 4370);
  EXPECT_EQ(r->startup.min_peers, 3u);
  NodeConfig config;
  EXPECT_TRUE(apply_env(config, EnvLookup{}));  // no environment at all
  EXPECT_FALSE(config.node.name);
}

TEST_F(NodeConfigEnvTest, EveryBeamlinkVariableOverridesTheFile) {
  vars_ = {{"BEAMLINK_NODE", "env@h"},
           {"BEAMLINK_COOKIE", "env-cookie"},
           {"BEAMLINK_HIDDEN", "true"},
           {"BEAMLINK_TICKTIME", "20"},
           {"BEAMLINK_LISTEN_ADDRESS", "127.0.0.1"},
           {"BEAMLINK_DIST_PORT", "9100-9105"},
           {"BEAMLINK_EPMD", "false"},
           {"BEAMLINK_EPMD_PORT", "4371"},
           {"BEAMLINK_PEER_PORT", "9200"},
           {"BEAMLINK_LOG_LEVEL", "debug"},
           {"BEAMLINK_MIN_PEERS", "5"},
           {"BEAMLINK_STARTUP_TIMEOUT", "2500"}};
  auto r = load(R"(
[node]
name = "file@h"
cookie = "file-cookie"
hidden = false
ticktime = 60
listen_address = "0.0.0.0"
dist_port = 9000
epmd = true
epmd_port = 4370
peer_port = 9000
log_level = "info"
[startup]
min_peers = 1
timeout = "30s"
)");
  ASSERT_TRUE(r) << r.error().to_string();
  const NodeSettings& n = r->node;
  EXPECT_EQ(n.name, "env@h");
  EXPECT_EQ(n.cookie, "env-cookie");
  EXPECT_EQ(n.hidden, true);
  EXPECT_EQ(n.ticktime, milliseconds(20'000));
  EXPECT_EQ(n.listen_address, "127.0.0.1");
  EXPECT_EQ(n.port_min, 9100);
  EXPECT_EQ(n.port_max, 9105);
  EXPECT_EQ(n.use_epmd, false);
  EXPECT_EQ(n.epmd_port, 4371);
  EXPECT_EQ(n.peer_port, 9200);
  EXPECT_EQ(n.log_level, LogLevel::debug);
  EXPECT_EQ(r->startup.min_peers, 5u);
  EXPECT_EQ(r->startup.timeout, milliseconds(2500));
}

TEST_F(NodeConfigEnvTest, DurationsAndPortsInTheirOtherSpellings) {
  vars_ = {{"BEAMLINK_TICKTIME", "1.5s"},
           {"BEAMLINK_STARTUP_TIMEOUT", "2m"},
           {"BEAMLINK_DIST_PORT", "9000"}};
  auto r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.ticktime, milliseconds(1500));
  EXPECT_EQ(r->startup.timeout, milliseconds(120'000));
  EXPECT_EQ(r->node.port_min, 9000);
  EXPECT_EQ(r->node.port_max, 9000);
}

TEST_F(NodeConfigEnvTest, BeamlinkVariablesWinOverReleaseVariables) {
  vars_ = {{"BEAMLINK_NODE", "beam@h"},
           {"RELEASE_NODE", "rel@h"},
           {"BEAMLINK_COOKIE", "beam"},
           {"RELEASE_COOKIE", "rel"}};
  auto r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "beam@h");
  EXPECT_EQ(r->node.cookie, "beam");
}

TEST_F(NodeConfigEnvTest, ReleaseVariablesOverrideTheFile) {
  vars_ = {{"RELEASE_NODE", "rel@10.1.2.3"}, {"RELEASE_COOKIE", "rel"}};
  auto r = load("[node]\nname = \"file@h\"\ncookie = \"file\"\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "rel@10.1.2.3");
  EXPECT_EQ(r->node.cookie, "rel");
}

TEST_F(NodeConfigEnvTest, AnEnvironmentCookieReplacesBothFileSpellings) {
  vars_ = {{"BEAMLINK_COOKIE_FILE", "/env/cookie"}, {"RELEASE_COOKIE", "ignored"}};
  auto r = load("[node]\ncookie = \"file\"\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.cookie_file, "/env/cookie");
  EXPECT_FALSE(r->node.cookie);  // BEAMLINK_COOKIE_FILE set it; RELEASE_COOKIE is not looked at

  vars_ = {{"RELEASE_COOKIE", "rel"}};
  r = load("[node]\ncookie_file = \"/file/cookie\"\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.cookie, "rel");
  EXPECT_FALSE(r->node.cookie_file);
}

TEST_F(NodeConfigEnvTest, ReleaseNodeWithoutHostGetsTheShortHostByDefault) {
  vars_ = {{"RELEASE_NODE", "app"}};
  auto r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "app@" + short_host_name());

  vars_["RELEASE_DISTRIBUTION"] = "sname";
  r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "app@" + short_host_name());
}

TEST_F(NodeConfigEnvTest, ReleaseNodeWithoutHostGetsTheLongHostForName) {
  vars_ = {{"RELEASE_NODE", "app"}, {"RELEASE_DISTRIBUTION", "name"}};
  auto r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "app@" + long_host_name());
}

TEST_F(NodeConfigEnvTest, HostNamesFollowTheSystemName) {
  char buf[256] = {};
  ASSERT_EQ(::gethostname(buf, sizeof buf - 1), 0);
  std::string system(buf);
  EXPECT_EQ(short_host_name(), system.substr(0, system.find('.')));
  EXPECT_EQ(short_host_name().find('.'), std::string::npos);
  if (system.find('.') != std::string::npos) {
    EXPECT_EQ(long_host_name(), system);
  }
  EXPECT_FALSE(long_host_name().empty());
}

TEST_F(NodeConfigEnvTest, ReleaseNodeWithHostIsKept) {
  vars_ = {{"RELEASE_NODE", "app@pod-1.svc"}, {"RELEASE_DISTRIBUTION", "sname"}};
  auto r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "app@pod-1.svc");
}

TEST_F(NodeConfigEnvTest, ReleaseDistributionNoneIsRefused) {
  vars_ = {{"RELEASE_DISTRIBUTION", "none"}, {"RELEASE_NODE", "app@h"}};
  auto r = load();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(r.error().message, "beamlink needs distribution; RELEASE_DISTRIBUTION=none");
}

TEST_F(NodeConfigEnvTest, ErlEpmdPortIsTheFallbackForBeamlinkEpmdPort) {
  vars_ = {{"ERL_EPMD_PORT", "4400"}};
  auto r = load("[node]\nepmd_port = 4370\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.epmd_port, 4400);

  vars_["BEAMLINK_EPMD_PORT"] = "4500";
  r = load("[node]\nepmd_port = 4370\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.epmd_port, 4500);

  vars_ = {{"BEAMLINK_EPMD_PORT", "4500"}, {"ERL_EPMD_PORT", "junk"}};  // not read at all
  r = load();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.epmd_port, 4500);
}

TEST_F(NodeConfigEnvTest, EmptyVariablesCountAsUnset) {
  vars_ = {{"BEAMLINK_NODE", ""}, {"BEAMLINK_EPMD_PORT", ""}, {"BEAMLINK_MIN_PEERS", ""}};
  auto r = load("[node]\nname = \"file@h\"\n");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.name, "file@h");
  EXPECT_FALSE(r->node.epmd_port);
}

TEST_F(NodeConfigEnvTest, MalformedValuesNameTheVariable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"BEAMLINK_NODE", "no-host"},
      {"BEAMLINK_NODE", "a@b@c"},
      {"RELEASE_NODE", "@h"},
      {"RELEASE_DISTRIBUTION", "long"},
      {"BEAMLINK_HIDDEN", "maybe"},
      {"BEAMLINK_TICKTIME", "0"},
      {"BEAMLINK_TICKTIME", "soon"},
      {"BEAMLINK_DIST_PORT", "0"},
      {"BEAMLINK_DIST_PORT", "9010-9000"},
      {"BEAMLINK_DIST_PORT", "9000-"},
      {"BEAMLINK_EPMD", "on"},
      {"BEAMLINK_EPMD_PORT", "70000"},
      {"ERL_EPMD_PORT", "abc"},
      {"BEAMLINK_PEER_PORT", "-1"},
      {"BEAMLINK_LOG_LEVEL", "verbose"},
      {"BEAMLINK_MIN_PEERS", "-2"},
      {"BEAMLINK_MIN_PEERS", "3x"},
      {"BEAMLINK_STARTUP_TIMEOUT", "5 s"},
  };
  for (const auto& [name, value] : cases) {
    vars_ = {{name, value}};
    NodeConfig config;
    config.node.name = "before@h";
    auto r = apply_env(config, env());
    ASSERT_FALSE(r) << name << "=" << value;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << name;
    EXPECT_TRUE(r.error().message.starts_with(name + " must be ")) << r.error().message;
    EXPECT_NE(r.error().message.find("'" + value + "'"), std::string::npos) << r.error().message;
    EXPECT_EQ(config.node.name, "before@h") << name;  // untouched on error
  }
}

TEST_F(NodeConfigEnvTest, AnErrorLeavesTheConfigUntouched) {
  vars_ = {{"BEAMLINK_NODE", "env@h"}, {"BEAMLINK_STARTUP_TIMEOUT", "later"}};
  NodeConfig config;
  config.node.name = "file@h";
  ASSERT_FALSE(apply_env(config, env()));
  EXPECT_EQ(config.node.name, "file@h");
}

}  // namespace
}  // namespace beamlink::config

namespace beamlink::config {
namespace {

TEST(NodeConfigMailboxTest, TheFileAndTheEnvironmentSetTheMailboxLimit) {
  auto file = parse_config("[node]\nmax_mailbox = 1000\nmax_mailbox_policy = \"kill\"\n", "t.toml");
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->node.max_mailbox, 1000u);
  EXPECT_EQ(file->node.max_mailbox_policy, MailboxPolicy::kill);
  std::map<std::string, std::string> vars{{"BEAMLINK_MAX_MAILBOX", "50"},
                                          {"BEAMLINK_MAX_MAILBOX_POLICY", "drop"}};
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  ASSERT_TRUE(apply_env(*file, env));
  EXPECT_EQ(file->node.max_mailbox, 50u);
  EXPECT_EQ(file->node.max_mailbox_policy, MailboxPolicy::drop);
  vars["BEAMLINK_MAX_MAILBOX_POLICY"] = "explode";
  EXPECT_FALSE(apply_env(*file, env));
  auto bad = parse_config("[node]\nmax_mailbox_policy = \"explode\"\n", "t.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().to_string().find("must be drop or kill"), std::string::npos);
  EXPECT_FALSE(parse_config("[node]\nmax_mailbox = -1\n", "t.toml"));
}

}  // namespace
}  // namespace beamlink::config
