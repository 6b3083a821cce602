// The gossip strategy end to end: `beamlink node --config` processes with
// a gossip topology, and an Elixir stand-in for libcluster's Gossip
// (support/gossip_peer.exs), finding each other by multicast.
//
// Multicast and broadcast are only ever sent inside a network namespace
// that each test creates (`ip netns add blgossip-<pid>-<n>`, loopback up
// with multicast on, 224.0.0.0/4 and 255.255.255.255 routed to it) and
// deletes at the end,
// failure included. Every process (beamlink's EPMD, the nodes, elixir,
// `beamlink nodes`) runs in it through `ip netns exec`, so 127.0.0.1, the
// gossip port and EPMD are the namespace's own. Creating a namespace needs
// root (CI runs as root); when it fails the test fails, it never skips.
// Every process is stopped by pid and every wait is bounded.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <expected>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/child_process.h"
#include "integration/support/cluster_support.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::count_of;
using testing::eventually;
using testing::join;

const std::string kCli = BEAMLINK_CLI_PATH;
const std::string kPeerScript =
    std::string(BEAMLINK_SOURCE_DIR) + "/tests/integration/support/gossip_peer.exs";

using Views = std::map<std::string, std::vector<std::string>>;

void report(const std::string& what, double seconds) {
  std::cout << "[ measured ] " << what << ": " << seconds << " s" << std::endl;
  ::testing::Test::RecordProperty(what, std::to_string(seconds));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Views full_mesh(const std::vector<std::string>& nodes) {
  Views views;
  for (const auto& node : nodes) {
    std::vector<std::string> peers;
    for (const auto& other : nodes) {
      if (other != node) peers.push_back(other);
    }
    std::sort(peers.begin(), peers.end());
    views[node] = peers;
  }
  return views;
}

// A network namespace with multicast on its loopback, deleted on
// destruction.
class NetNamespace {
 public:
  static std::expected<std::unique_ptr<NetNamespace>, std::string> create() {
    static std::atomic<int> counter{0};
    const std::string name =
        "blgossip-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto added = ip({"netns", "add", name});
    if (added.exit_code != 0) {
      return std::unexpected("cannot create network namespace " + name +
                             " (the gossip tests need root and iproute2): " + added.err +
                             added.out);
    }
    auto ns = std::unique_ptr<NetNamespace>(new NetNamespace(name));
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"link", "set", "lo", "up"},
             {"link", "set", "lo", "multicast", "on"},
             {"route", "add", "224.0.0.0/4", "dev", "lo"},
             {"route", "add", "255.255.255.255/32", "dev", "lo"}}) {
      auto result = ip(ns->wrap(std::vector<std::string>{"ip"}, step, true));
      if (result.exit_code != 0) {
        return std::unexpected("setting up " + name + ": ip " + join(step, " ") + ": " +
                               result.err);
      }
    }
    return ns;
  }
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;
  ~NetNamespace() {
    auto deleted = ip({"netns", "delete", name_});
    if (deleted.exit_code != 0) std::cerr << "ip netns delete " << name_ << ": " << deleted.err;
  }

  const std::string& name() const { return name_; }
  // `ip netns exec NAME argv...`
  std::vector<std::string> exec(const std::vector<std::string>& argv) const {
    return wrap(argv, {}, false);
  }

 private:
  explicit NetNamespace(std::string name) : name_(std::move(name)) {}
  static testing::ProcessResult ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv, "", 10s);
  }
  // {"netns", "exec", NAME, head..., tail...}; `for_ip` leaves out the
  // leading "ip" that ip() adds.
  std::vector<std::string> wrap(const std::vector<std::string>& head,
                                const std::vector<std::string>& tail, bool for_ip) const {
    std::vector<std::string> argv = {"netns", "exec", name_};
    if (!for_ip) argv.insert(argv.begin(), "ip");
    argv.insert(argv.end(), head.begin(), head.end());
    argv.insert(argv.end(), tail.begin(), tail.end());
    return argv;
  }
  std::string name_;
};

class GossipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = NetNamespace::create();
    ASSERT_TRUE(ns) << ns.error();
    ns_ = std::move(*ns);
    cookie_ = "gossip-" + testing::unique_node_name("c");
    // `beamlink` inside the namespace, for the cluster_support helpers.
    cli_in_ns_ = dir_.write("beamlink-in-ns", "#!/bin/sh\nexec ip netns exec " + ns_->name() + " " +
                                                  kCli + " \"$@\"\n");
    ASSERT_EQ(::chmod(cli_in_ns_.c_str(), 0755), 0);
    epmd_port_ = testing::free_port();
    auto epmd = ChildProcess::spawn(
        ns_->exec({kCli, "epmd", "--port", std::to_string(epmd_port_), "--address", "127.0.0.1"}));
    ASSERT_TRUE(epmd) << epmd.error();
    epmd_ = std::make_unique<ChildProcess>(std::move(*epmd));
    ASSERT_TRUE(eventually(
        [&] {
          return testing::run_process({cli_in_ns_, "names", "--port", std::to_string(epmd_port_)},
                                      "", 5s)
                     .exit_code == 0;
        },
        10s))
        << epmd_->output();
  }

  void TearDown() override {
    // Children first, while the namespace exists; then the namespace.
    nodes_.clear();
    peers_.clear();
    epmd_.reset();
    ns_.reset();
  }

  std::string name(std::string_view tag) const {
    return testing::unique_node_name(tag) + "@127.0.0.1";
  }

  // A config with one gossip topology; `options` are extra TOML lines.
  std::string config(std::string_view file, const std::string& options) const {
    return dir_.write(file, "[node]\ncookie = \"" + cookie_ +
                                "\"\nepmd_port = " + std::to_string(epmd_port_) +
                                "\nlisten_address = \"127.0.0.1\"\nlog_level = \"debug\"\n\n"
                                "[reconciler]\nbackoff_initial = \"50ms\"\nbackoff_max = "
                                "\"500ms\"\n\n[topologies.gossip]\nstrategy = \"gossip\"\n"
                                "multicast_if = \"127.0.0.1\"\n" +
                                options);
  }

  // A `beamlink node` in the namespace; index into nodes_.
  size_t start_node(const std::string& node, const std::string& config_path) {
    auto child =
        ChildProcess::spawn(ns_->exec({kCli, "node", "--config", config_path, "--name", node}));
    EXPECT_TRUE(child) << child.error();
    nodes_.push_back(std::move(*child));
    return nodes_.size() - 1;
  }

  // support/gossip_peer.exs as `node`, in the namespace.
  ChildProcess& start_elixir_peer(const std::string& node, const std::string& secret = "",
                                  bool broadcast = false) {
    testing::EnvOverrides env = {{"ERL_EPMD_PORT", std::to_string(epmd_port_)},
                                 {"ERL_CRASH_DUMP_SECONDS", "0"},
                                 {"GOSSIP_MULTICAST_IF", "127.0.0.1"}};
    if (!secret.empty()) env.emplace_back("GOSSIP_SECRET", secret);
    if (broadcast) env.emplace_back("GOSSIP_BROADCAST_ONLY", "true");
    auto child =
        ChildProcess::spawn(ns_->exec({"elixir", "--name", node, "--cookie", cookie_, "--erl",
                                       "-kernel inet_dist_use_interface {127,0,0,1}", kPeerScript}),
                            env);
    EXPECT_TRUE(child) << "cannot start elixir (is elixir installed?): " << child.error();
    peers_.push_back(std::move(*child));
    EXPECT_TRUE(eventually(
        [&] { return peers_.back().output().find("listening ") != std::string::npos; }, 30s))
        << peers_.back().output();
    return peers_.back();
  }

  std::optional<std::vector<std::string>> peers_of(const std::string& node) {
    return testing::visible_peers(cli_in_ns_, node, epmd_port_, cookie_, 5s);
  }

  // Polls `beamlink nodes` (run in the namespace) on every node at once
  // until each lists exactly its expected peers or `limit` passes.
  bool views_become(const Views& expected, std::chrono::milliseconds limit) {
    return eventually(
        [&] {
          std::vector<std::future<std::optional<std::vector<std::string>>>> calls;
          for (const auto& [node, unused] : expected) {
            calls.push_back(
                std::async(std::launch::async, [this, n = node] { return peers_of(n); }));
          }
          bool all = true;
          last_views_.clear();
          size_t i = 0;
          for (const auto& [node, want] : expected) {
            auto got = calls[i++].get();
            last_views_ += node + " lists [" + (got ? join(*got, " ") : "no answer") + "]\n";
            if (!got || *got != want) all = false;
          }
          return all;
        },
        limit);
  }

  void mesh_with_elixir(const std::string& what, const std::string& options,
                        const std::string& secret, bool broadcast);

  std::string logs() {
    std::string out = last_views_;
    for (auto& node : nodes_) out += "--- " + node.command() + "\n" + node.output();
    for (auto& peer : peers_) out += "--- " + peer.command() + "\n" + peer.output();
    return out;
  }

  std::unique_ptr<NetNamespace> ns_;
  testing::TempDir dir_;
  std::string cli_in_ns_;
  std::string cookie_;
  uint16_t epmd_port_ = 0;
  std::unique_ptr<ChildProcess> epmd_;
  std::vector<ChildProcess> nodes_;
  std::vector<ChildProcess> peers_;  // elixir
  std::string last_views_;
};

TEST_F(GossipTest, ThreeNodesFormAMesh) {
  const std::string path = config("plain.toml", "");
  const std::vector<std::string> names = {name("g1"), name("g2"), name("g3")};
  const auto start = Clock::now();
  for (const auto& node : names) start_node(node, path);
  ASSERT_TRUE(views_become(full_mesh(names), 20s)) << logs();
  report("gossip: 3 beamlink nodes meshed (from spawning them, 1 s +- 50 % heartbeats)",
         seconds_since(start));
  // The first to start are connected to by the later ones before hearing
  // them; their next heartbeats (1 s +- 50 %) reach everyone all the same.
  for (size_t i = 0; i < names.size(); ++i) {
    for (const auto& other : names) {
      if (other == names[i]) continue;
      EXPECT_TRUE(eventually(
          [&] { return nodes_[i].output().find("heard " + other) != std::string::npos; }, 5s))
          << logs();
    }
  }
}

// Three nodes with the secret mesh; a fourth with another secret hears
// nothing it accepts, nobody connects to it, and each side counts the
// other's packets as drops (logged at debug).
TEST_F(GossipTest, SecretMeshesAndAWrongSecretIsDropped) {
  const std::string right = config("right.toml", "secret = \"s3cret\"\n");
  const std::string wrong = config("wrong.toml", "secret = \"not-the-secret\"\n");
  const std::vector<std::string> names = {name("s1"), name("s2"), name("s3")};
  const std::string outsider = name("sx");
  const auto start = Clock::now();
  for (const auto& node : names) start_node(node, right);
  const size_t outsider_index = start_node(outsider, wrong);
  Views expected = full_mesh(names);
  expected[outsider] = {};
  ASSERT_TRUE(views_become(expected, 20s)) << logs();
  report("gossip: 3 beamlink nodes meshed with a secret (AES-256-CBC)", seconds_since(start));
  // Long enough for several heartbeats of every node.
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(views_become(expected, 5s)) << logs();
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string log = nodes_[i].output();
    EXPECT_GE(count_of(log, "[beamlink:gossip] dropped: from 127.0.0.1:45892: gossip packet: "), 2u)
        << log;
    EXPECT_EQ(log.find("heard " + outsider), std::string::npos) << log;
  }
  const std::string outsider_log = nodes_[outsider_index].output();
  EXPECT_GE(count_of(outsider_log, "[beamlink:gossip] dropped: "), 6u) << outsider_log;
  EXPECT_EQ(count_of(outsider_log, "heard "), 0u) << outsider_log;
}

// beamlink's own authenticated mode (AES-256-GCM): two nodes mesh; a node
// with the same secret in libcluster's CBC mode is refused both ways.
TEST_F(GossipTest, AuthenticatedNodesMeshAndRefuseCbc) {
  const std::string gcm = config("gcm.toml", "secret = \"s3cret\"\nauthenticated = true\n");
  const std::string cbc = config("cbc.toml", "secret = \"s3cret\"\n");
  const std::vector<std::string> names = {name("a1"), name("a2")};
  const std::string cbc_node = name("ac");
  for (const auto& node : names) start_node(node, gcm);
  start_node(cbc_node, cbc);
  Views expected = full_mesh(names);
  expected[cbc_node] = {};
  ASSERT_TRUE(views_become(expected, 20s)) << logs();
  EXPECT_TRUE(eventually(
      [&] {
        return nodes_[0].output().find("no 'blgcm1' prefix") != std::string::npos &&
               nodes_[2].output().find("refused: this topology uses CBC") != std::string::npos;
      },
      10s))
      << logs();
}

// beamlink and the Elixir stand-in for libcluster's Gossip find each
// other: two beamlink nodes with `options` and one gossip_peer.exs with
// `secret` / `broadcast`. Each side logs the other's heartbeats, nobody
// drops anything, and the Elixir node is in every beamlink node's cluster
// while Node.list/0 on Elixir (erlang:nodes/0, via `beamlink nodes`) lists
// the beamlink nodes.
void GossipTest::mesh_with_elixir(const std::string& what, const std::string& options,
                                  const std::string& secret, bool broadcast) {
  const std::string path = config("elixir-mesh.toml", options);
  const std::vector<std::string> beamlink_names = {name("b1"), name("b2")};
  const std::string elixir = name("ex");
  ChildProcess& peer = start_elixir_peer(elixir, secret, broadcast);
  const auto start = Clock::now();
  for (const auto& node : beamlink_names) start_node(node, path);
  std::vector<std::string> all = beamlink_names;
  all.push_back(elixir);
  ASSERT_TRUE(views_become(full_mesh(all), 30s)) << logs();
  report("gossip: 2 beamlink + 1 elixir (" + what + ") meshed", seconds_since(start));
  for (const auto& node : beamlink_names) {
    EXPECT_TRUE(
        eventually([&] { return peer.output().find("heard " + node) != std::string::npos; }, 10s))
        << logs();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    EXPECT_TRUE(eventually(
        [&] { return nodes_[i].output().find("heard " + elixir) != std::string::npos; }, 10s))
        << logs();
    EXPECT_EQ(nodes_[i].output().find("dropped"), std::string::npos) << logs();
  }
  EXPECT_EQ(peer.output().find("dropped"), std::string::npos) << logs();
}

TEST_F(GossipTest, ElixirPeerPlaintext) {
  mesh_with_elixir("plaintext", "", "", false);
}

TEST_F(GossipTest, ElixirPeerWithSecret) {
  mesh_with_elixir("AES-256-CBC", "secret = \"shared-secret\"\n", "shared-secret", false);
}

// broadcast_only: heartbeats to 255.255.255.255, no multicast group.
TEST_F(GossipTest, BroadcastOnlyWithElixirPeer) {
  mesh_with_elixir("broadcast_only", "broadcast_only = true\n", "", true);
  for (auto& node : nodes_) EXPECT_NE(node.output().find(", broadcast"), std::string::npos);
}

// An Elixir peer with another secret: neither side accepts the other.
TEST_F(GossipTest, ElixirPeerWithWrongSecretIsDropped) {
  const std::string path = config("cbc.toml", "secret = \"shared-secret\"\n");
  const std::string node = name("w1");
  const std::string elixir = name("wx");
  ChildProcess& peer = start_elixir_peer(elixir, "other-secret");
  start_node(node, path);
  EXPECT_TRUE(eventually(
      [&] {
        return nodes_[0].output().find("dropped: ") != std::string::npos &&
               peer.output().find("dropped ") != std::string::npos;
      },
      15s))
      << logs();
  ASSERT_TRUE(views_become({{node, {}}, {elixir, {}}}, 5s)) << logs();
}

}  // namespace
}  // namespace beamlink
