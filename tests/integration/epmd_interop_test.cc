// beamlink's EPMD against the real thing, both ways round:
// (a) the beamlink client against Erlang's own epmd binary;
// (b) beamlink's daemon with real erl nodes registering, and the real
//     `epmd -names` and net_adm:names/1 reading from it;
// (c) two real erl nodes that find each other through beamlink's daemon.
// Every test picks its own ports and node names, binds only 127.0.0.1, and
// stops by pid every process it started. A missing erl or epmd fails the
// test; it never skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/epmd.h"
#include "integration/support/child_process.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

using testing::eventually;
using testing::free_port;
constexpr auto node_name = testing::unique_node_name;

// Runs a real epmd or erl command with ERL_EPMD_PORT set, to completion.
testing::ProcessResult run_with_epmd_port(uint16_t port, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"env", "ERL_EPMD_PORT=" + std::to_string(port)});
  return testing::run_process(argv, "", 60s);
}

bool has_entry(const std::vector<epmd::NameEntry>& entries, std::string_view name) {
  for (const auto& entry : entries) {
    if (entry.name == name) return true;
  }
  return false;
}

// Real epmd on 127.0.0.1 and a free port, retried if the port was taken.
struct RealEpmd {
  ChildProcess process;
  uint16_t port;
};

RealEpmd start_real_epmd() {
  std::string failures;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const uint16_t port = free_port();
    auto process =
        ChildProcess::spawn({"epmd", "-port", std::to_string(port), "-address", "127.0.0.1"},
                            {{"ERL_EPMD_PORT", std::to_string(port)}});
    if (!process) {
      ADD_FAILURE() << "cannot start epmd (is erlang-base installed?): " << process.error();
      return RealEpmd{ChildProcess::spawn({"true"}).value(), 0};
    }
    epmd::ClientOptions options;
    options.port = port;
    options.timeout = 1s;
    if (eventually([&] { return process->running() && epmd::names(options).has_value(); }, 10s)) {
      return RealEpmd{std::move(*process), port};
    }
    failures += "port " + std::to_string(port) + ": " + process->output() + "\n";
  }
  ADD_FAILURE() << "real epmd never answered:\n" << failures;
  return RealEpmd{ChildProcess::spawn({"true"}).value(), 0};
}

// beamlink's daemon on 127.0.0.1, ephemeral port, with its log kept.
class OurDaemon {
 public:
  OurDaemon() {
    epmd::ServerOptions options;
    options.addresses = {"127.0.0.1"};
    options.port = 0;
    options.logger = [this](LogLevel, std::string_view, std::string_view line) {
      std::lock_guard lock(mutex_);
      log_ += std::string(line) + "\n";
    };
    auto started = epmd::Server::start(options);
    if (!started) {
      ADD_FAILURE() << started.error().to_string();
      return;
    }
    server_ = std::move(*started);
  }
  ~OurDaemon() { server_.reset(); }

  uint16_t port() const { return server_ ? server_->port() : 0; }
  epmd::Server& server() { return *server_; }
  epmd::ClientOptions client() const {
    epmd::ClientOptions options;
    options.port = port();
    options.timeout = 3s;
    return options;
  }
  bool holds(std::string_view name) {
    for (const auto& row : server_->registered()) {
      if (row.node.name == name) return true;
    }
    return false;
  }
  std::string log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::mutex mutex_;
  std::string log_;
  std::unique_ptr<epmd::Server> server_;
};

// A distributed erl node registered with the epmd at `epmd_port`, its
// distribution listener bound to 127.0.0.1.
std::expected<ChildProcess, std::string> start_erl_node(const std::string& name, uint16_t epmd_port,
                                                        std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{
      "erl",        "-start_epmd",        "false",    "-name",   name + "@127.0.0.1",
      "-setcookie", "beamlink_epmd_test", "-noshell", "-kernel", "inet_dist_use_interface",
      "{127,0,0,1}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return ChildProcess::spawn(argv, {{"ERL_EPMD_PORT", std::to_string(epmd_port)}});
}

TEST(EpmdInterop, BeamlinkClientAgainstRealEpmd) {
  RealEpmd real = start_real_epmd();
  ASSERT_NE(real.port, 0);
  epmd::ClientOptions options;
  options.port = real.port;
  const std::string name = node_name("client");

  epmd::NodeInfo node;
  node.name = name;
  node.port = 47001;
  auto registration = epmd::register_node(options, node);
  ASSERT_TRUE(registration) << registration.error().to_string();
  EXPECT_NE(registration->creation(), 0u);

  // The real epmd binary lists it, byte for byte as our client formats it.
  auto listed =
      run_with_epmd_port(real.port, {"epmd", "-port", std::to_string(real.port), "-names"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("name " + name + " at port 47001\n"), std::string::npos) << listed.out;
  auto reply = epmd::names_reply(options);
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(reply->to_epmd_text(), listed.out);

  auto found = epmd::port_please(options, name);
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(found->port, 47001);
  EXPECT_EQ(found->node_type, epmd::kNodeTypeNormal);
  EXPECT_EQ(found->highest_version, 6);

  // Real epmd refuses a duplicate and a kill while the node lives.
  EXPECT_EQ(epmd::register_node(options, node).error().code, Errc::refused);
  auto killed = epmd::kill(options);
  ASSERT_TRUE(killed) << killed.error().to_string();
  EXPECT_FALSE(*killed);

  registration->close();
  EXPECT_TRUE(eventually([&] {
    auto now = epmd::names(options);
    return now && !has_entry(*now, name);
  }));
  EXPECT_EQ(epmd::port_please(options, name).error().code, Errc::not_found);
  EXPECT_EQ(real.process.stop(SIGTERM), 128 + SIGTERM);
}

TEST(EpmdInterop, RealNodeRegistersWithOurDaemon) {
  OurDaemon daemon;
  ASSERT_NE(daemon.port(), 0);
  const std::string name = node_name("node");
  auto node = start_erl_node(name, daemon.port());
  ASSERT_TRUE(node) << node.error() << " (is erlang-base installed?)";

  ASSERT_TRUE(eventually([&] { return daemon.holds(name); }, 30s))
      << "erl never registered\nerl output: " << node->output() << "\ndaemon log:\n"
      << daemon.log();
  const auto row = daemon.server().registered().front();
  EXPECT_EQ(row.node.node_type, epmd::kNodeTypeNormal);
  EXPECT_GE(row.node.highest_version, 6);

  // The real epmd client reads our daemon exactly as it reads its own.
  auto listed = run_with_epmd_port(daemon.port(), {"epmd", "-names"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string line = "name " + name + " at port " + std::to_string(row.node.port) + "\n";
  EXPECT_EQ(listed.out, "epmd: up and running on port " + std::to_string(daemon.port()) +
                            " with data:\n" + line);

  // So does net_adm from another (non-distributed) erl.
  auto from_erl = run_with_epmd_port(
      daemon.port(), {"erl", "-noshell", "-start_epmd", "false", "-eval",
                      "io:format(\"~p~n\", [net_adm:names(\"127.0.0.1\")]), halt()."});
  ASSERT_EQ(from_erl.exit_code, 0) << from_erl.out << from_erl.err;
  EXPECT_NE(from_erl.out.find("{\"" + name + "\"," + std::to_string(row.node.port) + "}"),
            std::string::npos)
      << from_erl.out;

  // Killing the node closes its connection, which ends the registration.
  EXPECT_EQ(node->stop(SIGKILL), 128 + SIGKILL);
  EXPECT_TRUE(eventually([&] { return !daemon.holds(name); }, 10s)) << daemon.log();
  auto after = epmd::names(daemon.client());
  ASSERT_TRUE(after);
  EXPECT_FALSE(has_entry(*after, name));
}

TEST(EpmdInterop, TwoRealNodesFindEachOtherThroughOurDaemon) {
  OurDaemon daemon;
  ASSERT_NE(daemon.port(), 0);
  const std::string server_name = node_name("pong");
  const std::string client_name = node_name("ping");
  auto server_node = start_erl_node(server_name, daemon.port());
  ASSERT_TRUE(server_node) << server_node.error();
  ASSERT_TRUE(eventually([&] { return daemon.holds(server_name); }, 30s))
      << server_node->output() << daemon.log();

  auto pinged = run_with_epmd_port(
      daemon.port(),
      {"erl", "-start_epmd", "false", "-name", client_name + "@127.0.0.1", "-setcookie",
       "beamlink_epmd_test", "-noshell", "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
       "-eval", "io:format(\"~p~n\", [net_adm:ping('" + server_name + "@127.0.0.1')]), halt()."});
  EXPECT_EQ(pinged.exit_code, 0) << pinged.err;
  EXPECT_EQ(pinged.out, "pong\n") << pinged.err << "\ndaemon log:\n" << daemon.log();
  EXPECT_NE(daemon.log().find("registered '" + client_name + "'"), std::string::npos)
      << daemon.log();
  server_node->stop(SIGTERM);
}

TEST(EpmdInterop, RealEpmdKillAndStopAgainstOurDaemon) {
  OurDaemon daemon;
  ASSERT_NE(daemon.port(), 0);
  epmd::NodeInfo node;
  node.name = node_name("held");
  node.port = 47002;
  auto registration = epmd::register_node(daemon.client(), node);
  ASSERT_TRUE(registration) << registration.error().to_string();

  // As real epmd: no STOP_REQ without -relaxed_command_check, no kill while
  // a node is registered.
  auto stopped = run_with_epmd_port(daemon.port(), {"epmd", "-stop", node.name});
  EXPECT_NE(stopped.out.find("responded with <>"), std::string::npos) << stopped.out;
  EXPECT_TRUE(daemon.holds(node.name));
  auto refused = run_with_epmd_port(daemon.port(), {"epmd", "-kill"});
  EXPECT_NE(refused.out.find("not allowed"), std::string::npos) << refused.out << refused.err;
  EXPECT_FALSE(daemon.server().wait_for(100ms));

  registration->close();
  ASSERT_TRUE(eventually([&] { return !daemon.holds(node.name); }));
  auto killed = run_with_epmd_port(daemon.port(), {"epmd", "-kill"});
  EXPECT_EQ(killed.out, "Killed\n") << killed.err;
  EXPECT_TRUE(daemon.server().wait_for(5s)) << daemon.log();
}

}  // namespace
}  // namespace beamlink
