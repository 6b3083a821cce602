// service/service_config.h: file < environment < overrides, with the keys
// the CLI has always used, and the new node.worker_threads and
// node.log_format in all three layers.
#include "service/service_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

namespace beamlink::service {
namespace {

using std::chrono::milliseconds;

class ServiceConfigTest : public ::testing::Test {
 protected:
  ~ServiceConfigTest() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  ServiceOptions options(const std::string& toml) {
    path_ = ::testing::TempDir() + "service_config_" + std::to_string(::getpid()) + ".toml";
    std::ofstream(path_) << toml;
    ServiceOptions o;
    o.config_path = path_;
    o.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }

  std::map<std::string, std::string> env_;
  std::string path_;
};

const char* kFile =
    "[node]\nname = \"file@127.0.0.1\"\ncookie = \"from_file\"\nworker_threads = 2\n"
    "log_format = \"text\"\nhealth_port = 8080\n\n[startup]\nmin_peers = 1\n";

TEST_F(ServiceConfigTest, TheFileAlone) {
  auto config = load_service_config(options(kFile));
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->node.name, "file@127.0.0.1");
  EXPECT_EQ(config->node.worker_threads, 2u);
  EXPECT_EQ(config->node.log_format, LogFormat::text);
  EXPECT_EQ(config->node.health_port, 8080);
  EXPECT_EQ(config->startup.min_peers, 1u);
}

TEST_F(ServiceConfigTest, TheEnvironmentWinsOverTheFile) {
  env_ = {{"BEAMLINK_NODE", "env@127.0.0.1"},
          {"BEAMLINK_WORKER_THREADS", "3"},
          {"BEAMLINK_LOG_FORMAT", "json"},
          {"BEAMLINK_COOKIE", "from_env"}};
  auto config = load_service_config(options(kFile));
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->node.name, "env@127.0.0.1");
  EXPECT_EQ(config->node.worker_threads, 3u);
  EXPECT_EQ(config->node.log_format, LogFormat::json);
  EXPECT_EQ(config->node.cookie, "from_env");
  EXPECT_EQ(config->node.health_port, 8080);  // unset in the environment: the file's
}

TEST_F(ServiceConfigTest, OverridesWinOverTheEnvironment) {
  env_ = {{"BEAMLINK_NODE", "env@127.0.0.1"}, {"BEAMLINK_WORKER_THREADS", "3"}};
  ServiceOptions o = options(kFile);
  o.overrides.name = "flag@127.0.0.1";
  o.overrides.worker_threads = 4;
  o.overrides.log_format = LogFormat::json;
  o.overrides.cookie_file = "/run/cookie";
  o.overrides.min_peers = 3;
  o.overrides.startup_timeout = milliseconds(500);
  auto config = load_service_config(o);
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->node.name, "flag@127.0.0.1");
  EXPECT_EQ(config->node.worker_threads, 4u);
  EXPECT_EQ(config->node.log_format, LogFormat::json);
  // One setting spelled two ways: the cookie file replaces the file's cookie.
  EXPECT_EQ(config->node.cookie_file, "/run/cookie");
  EXPECT_FALSE(config->node.cookie);
  EXPECT_EQ(config->startup.min_peers, 3u);
  EXPECT_EQ(config->startup.timeout, milliseconds(500));
}

TEST_F(ServiceConfigTest, BadValuesNameTheirLayer) {
  env_ = {{"BEAMLINK_WORKER_THREADS", "0"}};
  auto from_env = load_service_config(options(""));
  ASSERT_FALSE(from_env);
  EXPECT_NE(from_env.error().message.find("BEAMLINK_WORKER_THREADS"), std::string::npos);

  env_ = {{"BEAMLINK_LOG_FORMAT", "xml"}};
  auto format = load_service_config(options(""));
  ASSERT_FALSE(format);
  EXPECT_NE(format.error().message.find("BEAMLINK_LOG_FORMAT"), std::string::npos);

  env_.clear();
  auto from_file = load_service_config(options("[node]\nlog_format = \"yaml\"\n"));
  ASSERT_FALSE(from_file);
  EXPECT_NE(from_file.error().message.find("node.log_format"), std::string::npos)
      << from_file.error().message;
  auto threads = load_service_config(options("[node]\nworker_threads = 1000\n"));
  ASSERT_FALSE(threads);
  EXPECT_NE(threads.error().message.find("node.worker_threads"), std::string::npos)
      << threads.error().message;

  ServiceOptions o = options("");
  o.overrides.port_min = 9000;
  o.overrides.port_max = 8000;
  auto range = load_service_config(o);
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace beamlink::service
