// Cluster with real in-process nodes and a real EPMD daemon on 127.0.0.1:
// formation, the startup wait and its required form, readiness, hooks, and
// gossiped nodes that fall silent.
#include "beamlink/cluster.h"

#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>
#include <atomic>
#include <map>
#include <thread>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "discovery/gossip_packet.h"
#include "epmd/loopback_epmd.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
  }

  std::unique_ptr<Node> start_node(const std::string& short_name) {
    NodeOptions options;
    options.name = short_name + "_" + std::to_string(::getpid()) + "@127.0.0.1";
    options.cookie = "cluster-test";
    options.listen_address = "127.0.0.1";
    options.epmd_port = epmd_->port();
    auto node = Node::start(options);
    EXPECT_TRUE(node) << node.error().message;
    return node ? std::move(*node) : nullptr;
  }

  ClusterOptions static_options(std::vector<std::string> hosts) {
    ClusterOptions options;
    options.topologies.push_back({"static", "epmd", {{"hosts", std::move(hosts)}}});
    options.epmd_port = epmd_->port();
    options.reconciler.backoff_initial = 20ms;
    options.reconciler.backoff_max = 100ms;
    return options;
  }

  static bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return check();
  }

  std::unique_ptr<epmd::Server> epmd_;
};

TEST_F(ClusterTest, StaticTopologyFormsAndTheStartupWaitEndsReady) {
  auto a = start_node("a");
  auto b = start_node("b");
  auto c = start_node("c");
  ASSERT_TRUE(a && b && c);
  std::vector<std::string> all = {a->name(), b->name(), c->name()};
  auto options = static_options(all);
  options.startup.min_peers = 2;
  options.startup.timeout = 5s;
  auto cluster = Cluster::start(*a, options);
  ASSERT_TRUE(cluster) << cluster.error().message;
  // start() returned after the wait: the peers are there and it is ready.
  EXPECT_TRUE((*cluster)->ready());
  EXPECT_EQ(a->nodes().size(), 2u);
  auto status = (*cluster)->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].name, "static");
  EXPECT_EQ(status[0].desired.size(), 2u);  // itself left out
  // The second connect's result may still be on its way back.
  EXPECT_TRUE(eventually([&] { return (*cluster)->status()[0].connects == 2; }, 2s));
  (*cluster)->stop();
  EXPECT_EQ(a->nodes().size(), 2u);  // stopping the cluster disconnects nothing
}

TEST_F(ClusterTest, RequiredPeersMissingFailsStartInTime) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  auto options = static_options({a->name(), "ghost_" + std::to_string(::getpid()) + "@127.0.0.1"});
  options.startup.min_peers = 1;
  options.startup.timeout = 300ms;
  options.startup.required = true;
  auto begin = std::chrono::steady_clock::now();
  auto cluster = Cluster::start(*a, options);
  auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(cluster);
  EXPECT_EQ(cluster.error().code, Errc::timeout);
  EXPECT_NE(cluster.error().message.find("0 of 1 peer(s)"), std::string::npos)
      << cluster.error().message;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST_F(ClusterTest, MissingPeersWithoutRequiredStartReadyAnyway) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  auto options = static_options({"ghost_" + std::to_string(::getpid()) + "@127.0.0.1"});
  options.startup.min_peers = 1;
  options.startup.timeout = 200ms;
  std::vector<std::string> lines;
  std::mutex mutex;
  options.logger = [&](LogLevel, std::string_view topology, std::string_view message) {
    std::lock_guard lock(mutex);
    lines.push_back(std::string(topology) + ": " + std::string(message));
  };
  auto cluster = Cluster::start(*a, options);
  ASSERT_TRUE(cluster) << cluster.error().message;
  EXPECT_TRUE((*cluster)->ready());
  (*cluster)->stop();
  std::lock_guard lock(mutex);
  bool said = false;
  for (const auto& line : lines) said |= line.find("ready anyway") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_F(ClusterTest, HooksReplaceConnect) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  auto options = static_options({"x@127.0.0.1", "y@127.0.0.1"});
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::set<std::string> connected;
  options.hooks.connect = [&](std::string_view node) -> Result<void> {
    ++calls;
    std::lock_guard lock(mutex);
    connected.emplace(node);
    return {};
  };
  options.hooks.list_nodes = [&] {
    std::lock_guard lock(mutex);
    return std::vector<std::string>(connected.begin(), connected.end());
  };
  auto cluster = Cluster::start(*a, options);
  ASSERT_TRUE(cluster);
  ASSERT_TRUE(eventually([&] { return calls.load() == 2; }, 2s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls.load(), 2);  // connected per list_nodes: not dialled again
  EXPECT_TRUE(a->nodes().empty());
}

TEST_F(ClusterTest, BadTopologyFailsBeforeAnythingStarts) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  ClusterOptions options;
  options.topologies.push_back({"t", "epmd", {{"hosts", int64_t{3}}}});
  auto cluster = Cluster::start(*a, options);
  ASSERT_FALSE(cluster);
  EXPECT_EQ(cluster.error().code, Errc::invalid_argument);
  EXPECT_NE(cluster.error().message.find("hosts must be a list of strings"), std::string::npos);
}

// Gossiped nodes that fall silent leave the set after node_timeout: the
// connected one stays connected (gossip never disconnects), the one that
// never answered is no longer dialled.
TEST_F(ClusterTest, GossipForgetsSilentNodesWithoutDisconnectingThem) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  asio::io_context io;
  asio::ip::udp::socket peer(io,
                             asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.2"), 0));
  const uint16_t port = peer.local_endpoint().port();  // free on 127.0.0.2: the strategy's too
  ClusterOptions options;
  options.topologies.push_back({"gossip",
                                "gossip",
                                {{"port", int64_t{port}},
                                 {"if_addr", std::string("127.0.0.1")},
                                 {"multicast_addr", std::string("127.0.0.2")},
                                 {"heartbeat_interval", int64_t{50}},
                                 {"node_timeout", int64_t{300}}}});
  options.reconciler.backoff_initial = 20ms;
  options.reconciler.backoff_max = 50ms;
  std::mutex mutex;
  std::set<std::string> connected;
  std::map<std::string, int> attempts;
  std::vector<std::string> disconnected;
  std::vector<std::string> lines;
  options.hooks.connect = [&](std::string_view node) -> Result<void> {
    std::lock_guard lock(mutex);
    attempts[std::string(node)]++;
    if (node != "live@h") return fail(Errc::refused, "nobody there");
    connected.emplace(node);
    return {};
  };
  options.hooks.disconnect = [&](std::string_view node) {
    std::lock_guard lock(mutex);
    disconnected.emplace_back(node);
  };
  options.hooks.list_nodes = [&] {
    std::lock_guard lock(mutex);
    return std::vector<std::string>(connected.begin(), connected.end());
  };
  options.logger = [&](LogLevel, std::string_view, std::string_view message) {
    std::lock_guard lock(mutex);
    lines.emplace_back(message);
  };
  auto cluster = Cluster::start(*a, options);
  ASSERT_TRUE(cluster) << cluster.error().message;
  const asio::ip::udp::endpoint strategy(asio::ip::make_address_v4("127.0.0.1"), port);
  for (const char* node : {"live@h", "dead@h"}) {
    peer.send_to(asio::buffer(*discovery::gossip::heartbeat_plaintext(node)), strategy);
  }
  auto locked = [&](auto check) {
    std::lock_guard lock(mutex);
    return check();
  };
  ASSERT_TRUE(eventually(
      [&] {
        return locked([&] { return connected.contains("live@h") && attempts["dead@h"] >= 2; });
      },
      5s));
  // No more heartbeats: both are forgotten, 300 ms after they were heard.
  ASSERT_TRUE(eventually([&] { return (*cluster)->status()[0].desired.empty(); }, 5s));
  const int dials = locked([&] { return attempts["dead@h"]; });
  std::this_thread::sleep_for(300ms);  // six backoff_max periods: a wanted node is redialled
  (*cluster)->stop();
  std::lock_guard lock(mutex);
  EXPECT_EQ(attempts["dead@h"], dials);
  EXPECT_EQ(attempts["live@h"], 1);
  EXPECT_TRUE(connected.contains("live@h"));
  EXPECT_TRUE(disconnected.empty());
  size_t forgotten = 0;
  for (const auto& line : lines) forgotten += line.starts_with("forgetting ") ? 1 : 0;
  EXPECT_EQ(forgotten, 2u);
}

}  // namespace
}  // namespace beamlink
