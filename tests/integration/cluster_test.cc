// Cluster formation end to end: `beamlink node --config` processes with the
// epmd (static list), local_epmd and erlang_hosts strategies, real erl
// nodes among them, kill -9 and restart, a failing discovery source, the
// reconciler's backoff as its log shows it, --check-config and the startup
// wait.
//
// Each 127.0.0.x stands for a host: one `beamlink epmd` child listens on
// every address a test uses (nodes register with it at 127.0.0.1; a peer
// asks it at the host of the name it dials), and every node listens on the
// address of its name. Ports and names are the test's own, so tests run in
// parallel; every process is stopped by pid; a missing erl fails the test.
// Membership is read the way a user reads it: `beamlink nodes NODE`, which
// asks the node for erlang:nodes/0 (so it reads erl's view the same way).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/epmd.h"
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

using Views = std::map<std::string, std::vector<std::string>>;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Printed, not asserted tightly: the figures the report quotes.
void report(const std::string& what, double seconds) {
  std::cout << "[ measured ] " << what << ": " << seconds << " s" << std::endl;
  ::testing::Test::RecordProperty(what, std::to_string(seconds));
}

// Every node lists every other one.
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

std::string toml_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return "[" + out + "]";
}

// "{127,0,0,6}" for erl's inet_dist_use_interface.
std::string erl_tuple(std::string address) {
  std::replace(address.begin(), address.end(), '.', ',');
  return "{" + address + "}";
}

std::string host_of(const std::string& node) {
  return node.substr(node.find('@') + 1);
}

// The time of day, in ms, of the first log line containing `needle`
// ("2026-01-02T03:04:05.678Z level [beamlink:area] message"); -1 if none.
int64_t logged_at(const std::string& log, const std::string& needle) {
  size_t at = log.find(needle);
  if (at == std::string::npos) return -1;
  size_t line = log.rfind('\n', at);
  line = line == std::string::npos ? 0 : line + 1;
  if (log.size() < line + 23 || log[line + 10] != 'T') return -1;
  auto field = [&](size_t offset, size_t length) {
    return std::stoll(log.substr(line + offset, length));
  };
  return ((field(11, 2) * 60 + field(14, 2)) * 60 + field(17, 2)) * 1000 + field(20, 3);
}

class ClusterProcessTest : public ::testing::Test {
 protected:
  // A child that could not be started ends the test as a failure (gtest
  // reports the exception); there is no process to go on with.
  static ChildProcess started(std::expected<ChildProcess, std::string> child,
                              const std::string& what) {
    if (!child) throw std::runtime_error("cannot start " + what + ": " + child.error());
    return std::move(*child);
  }

  void SetUp() override { cookie_ = "cluster-" + testing::unique_node_name("c"); }

  void start_epmd(const std::vector<std::string>& addresses) {
    auto epmd = testing::start_epmd_child(kCli, addresses);
    if (!epmd) throw std::runtime_error(epmd.error());
    epmd_.emplace(std::move(*epmd));
  }
  std::string port() const { return std::to_string(epmd_->port); }

  std::string node_name(std::string_view tag, std::string_view host) const {
    return testing::unique_node_name(tag) + "@" + std::string(host);
  }

  // A config file: the shared [node] and [reconciler] tables, then `rest`.
  std::string write_config(std::string_view file, const std::string& rest,
                           const std::string& reconciler =
                               "backoff_initial = \"50ms\"\n"
                               "backoff_max = \"500ms\"\n") const {
    return dir_.write(file, "[node]\ncookie = \"" + cookie_ + "\"\nepmd_port = " + port() +
                                "\n\n[reconciler]\n" + reconciler + "\n" + rest);
  }

  // `beamlink node --config config --name name extra...`, in `cwd` if given.
  ChildProcess spawn_node(const std::string& name, const std::string& config,
                          const std::vector<std::string>& extra = {}, const std::string& cwd = "",
                          const testing::EnvOverrides& env = {}) {
    std::vector<std::string> argv;
    if (!cwd.empty()) argv = {"env", "-C", cwd};  // env execs: the pid is the node's
    for (const auto& arg : {kCli, std::string("node"), std::string("--config"), config,
                            std::string("--name"), name}) {
      argv.push_back(arg);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return started(ChildProcess::spawn(argv, env), "beamlink node");
  }

  // Waits until a node has logged "ready" (it is up and its startup wait
  // is over).
  static bool becomes_ready(ChildProcess& node, std::chrono::milliseconds limit = 10s) {
    return eventually(
        [&] { return node.output().find("[beamlink:node] ready") != std::string::npos; }, limit);
  }

  ChildProcess start_node(const std::string& name, const std::string& config,
                          const std::vector<std::string>& extra = {}, const std::string& cwd = "",
                          const testing::EnvOverrides& env = {}) {
    ChildProcess node = spawn_node(name, config, extra, cwd, env);
    EXPECT_TRUE(becomes_ready(node)) << node.command() << "\n" << node.output();
    return node;
  }

  bool registered(const std::string& node) const {
    epmd::ClientOptions client;
    client.port = epmd_->port;
    client.timeout = 1s;
    auto names = epmd::names(client);
    if (!names) return false;
    std::string alive = node.substr(0, node.find('@'));
    return std::any_of(names->begin(), names->end(),
                       [&](const epmd::NameEntry& e) { return e.name == alive; });
  }

  // A real erl node listening on its name's address; waits until EPMD
  // knows it.
  ChildProcess start_erl(const std::string& name) {
    // -start_epmd false: the test's EPMD is the only one; erl must not
    // leave a daemon of its own behind.
    ChildProcess erl =
        started(ChildProcess::spawn({"erl", "-noshell", "-noinput", "-start_epmd", "false", "-name",
                                     name, "-setcookie", cookie_, "-kernel",
                                     "inet_dist_use_interface", erl_tuple(host_of(name))},
                                    {{"ERL_EPMD_PORT", port()}, {"ERL_CRASH_DUMP_SECONDS", "0"}}),
                "erl (is erlang-base installed?)");
    EXPECT_TRUE(eventually([&] { return registered(name) || !erl.running(); }, 20s));
    EXPECT_TRUE(erl.running() && registered(name))
        << "erl did not come up (is erlang-base installed?): " << erl.output();
    return erl;
  }

  std::optional<std::vector<std::string>> peers(const std::string& node,
                                                const std::vector<std::string>& extra = {}) {
    return testing::visible_peers(kCli, node, epmd_->port, cookie_, 5s, extra);
  }

  // Polls `beamlink nodes` on every node of `expected` at once until each
  // lists exactly its expected peers or `limit` passes. What they listed
  // last is in last_views_, for failure messages.
  bool views_become(const Views& expected, std::chrono::milliseconds limit) {
    return eventually(
        [&] {
          std::vector<std::future<std::optional<std::vector<std::string>>>> calls;
          for (const auto& [node, unused] : expected) {
            calls.push_back(std::async(std::launch::async, [this, n = node] { return peers(n); }));
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

  static std::string logs(std::vector<ChildProcess>& nodes) {
    std::string out;
    for (auto& node : nodes) out += "--- " + node.command() + "\n" + node.output();
    return out;
  }

  std::string cookie_;
  std::optional<testing::EpmdChild> epmd_;
  testing::TempDir dir_;
  std::string last_views_;
};

// The static list: 4 beamlink nodes and one erl node, each beamlink config
// naming all five. kill -9 of one is seen by all; a restart heals it.
TEST_F(ClusterProcessTest, StaticListMeshWithErlSurvivesKillAndRestart) {
  start_epmd({"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"});
  std::vector<std::string> beamlink_names;
  for (int i = 0; i < 4; ++i) {
    beamlink_names.push_back(
        node_name("s" + std::to_string(i + 1), "127.0.0." + std::to_string(i + 2)));
  }
  std::string erl_name = node_name("se", "127.0.0.6");
  std::vector<std::string> all = beamlink_names;
  all.push_back(erl_name);
  std::string config = write_config(
      "static.toml", "[topologies.static]\nstrategy = \"epmd\"\nhosts = " + toml_list(all) + "\n");

  ChildProcess erl = start_erl(erl_name);
  auto formation_start = Clock::now();
  std::vector<ChildProcess> nodes;
  for (const auto& name : beamlink_names) nodes.push_back(spawn_node(name, config));
  ASSERT_TRUE(views_become(full_mesh(all), 20s)) << last_views_ << logs(nodes);
  report("static: formation of 4 beamlink + 1 erl (from spawning the beamlink nodes)",
         seconds_since(formation_start));

  // kill -9 one beamlink node: the other three and erl drop it.
  const std::string victim = beamlink_names[1];
  std::vector<std::string> survivors;
  for (const auto& name : all) {
    if (name != victim) survivors.push_back(name);
  }
  auto killed_at = Clock::now();
  nodes[1].stop(SIGKILL);
  ASSERT_TRUE(views_become(full_mesh(survivors), 10s)) << last_views_ << logs(nodes);
  report("static: kill -9 seen by every survivor (incl. erl)", seconds_since(killed_at));
  for (size_t i : {0u, 2u, 3u}) {
    EXPECT_TRUE(eventually(
        [&] { return nodes[i].output().find(victim + " went down") != std::string::npos; }, 5s))
        << nodes[i].output();
  }

  // The same node again, same config: the cluster is whole.
  auto restart_at = Clock::now();
  nodes[1] = spawn_node(victim, config);
  ASSERT_TRUE(views_become(full_mesh(all), 20s)) << last_views_ << logs(nodes);
  report("static: heal after restarting the killed node (from spawn)", seconds_since(restart_at));
}

// A stopped (SIGSTOPped) beamlink node: its kernel keeps its sockets open
// and acknowledging, so only the failure detectors can tell. With six
// nodes and three watchers per node (the default), three nodes watch it
// closely and two learn of it from them and check with a ping: every one
// drops it, far sooner than net_ticktime (60 s), and no live node is
// dropped on the way.
TEST_F(ClusterProcessTest, AStoppedNodeIsDroppedByEveryOtherNode) {
  std::vector<std::string> addresses;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    addresses.push_back("127.0.0." + std::to_string(i + 2));
    names.push_back(node_name("w" + std::to_string(i + 1), addresses.back()));
  }
  std::vector<std::string> epmd_addresses = {"127.0.0.1"};  // where the nodes register
  epmd_addresses.insert(epmd_addresses.end(), addresses.begin(), addresses.end());
  start_epmd(epmd_addresses);
  const std::string config = write_config(
      "stop.toml", "[topologies.static]\nstrategy = \"epmd\"\nhosts = " + toml_list(names) + "\n");
  std::vector<ChildProcess> nodes;
  for (const auto& name : names) nodes.push_back(spawn_node(name, config));
  ASSERT_TRUE(views_become(full_mesh(names), 30s)) << last_views_ << logs(nodes);

  const size_t victim = 2;
  const auto since_midnight_ms = [] {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 86'400'000;
  };
  const int64_t stopped_at = since_midnight_ms();
  ASSERT_EQ(::kill(nodes[victim].pid(), SIGSTOP), 0);
  const std::string down = "nodedown " + names[victim];
  ASSERT_TRUE(eventually(
      [&] {
        for (size_t i = 0; i < nodes.size(); ++i) {
          if (i != victim && nodes[i].output().find(down) == std::string::npos) return false;
        }
        return true;
      },
      20s))
      << logs(nodes);
  int64_t slowest = 0;
  size_t told = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i == victim) continue;
    const std::string log = nodes[i].output();
    slowest = std::max(slowest, logged_at(log, down) - stopped_at);
    if (log.find(names[victim] + " suspected by another node") != std::string::npos) ++told;
    // Of the cluster's nodes only the stopped one went down (the hidden
    // CLI nodes the test lists views with come and go).
    size_t downs = 0;
    for (const auto& name : names) {
      if (log.find("nodedown " + name) != std::string::npos) ++downs;
    }
    EXPECT_EQ(downs, 1u) << log;
  }
  // The nodes that do not watch it closely heard of it from those that do.
  EXPECT_GE(told, 1u) << logs(nodes);
  report("SIGSTOP seen by all 5 other nodes (from the stop, by their logs)",
         static_cast<double>(slowest) / 1000.0);
}

// local_epmd: three beamlink nodes on one host and an erl node registered
// with the same EPMD find each other.
TEST_F(ClusterProcessTest, LocalEpmdMeshIncludesErl) {
  start_epmd({"127.0.0.1"});
  std::vector<std::string> names = {node_name("l1", "127.0.0.1"), node_name("l2", "127.0.0.1"),
                                    node_name("l3", "127.0.0.1")};
  std::string erl_name = node_name("le", "127.0.0.1");
  std::string config =
      write_config("local.toml",
                   "[topologies.local]\nstrategy = \"local_epmd\"\npolling_interval = \"300ms\"\n");
  ChildProcess erl = start_erl(erl_name);
  auto start = Clock::now();
  std::vector<ChildProcess> nodes;
  for (const auto& name : names) nodes.push_back(spawn_node(name, config));
  std::vector<std::string> all = names;
  all.push_back(erl_name);
  ASSERT_TRUE(views_become(full_mesh(all), 20s)) << last_views_ << logs(nodes);
  report("local_epmd: formation of 3 beamlink + 1 erl", seconds_since(start));
}

// erlang_hosts with hosts_file: three nodes on the two listed hosts.
TEST_F(ClusterProcessTest, ErlangHostsFileFormsMesh) {
  start_epmd({"127.0.0.1", "127.0.0.2", "127.0.0.3"});
  std::string hosts = dir_.write(".hosts.erlang", "'127.0.0.2'.\n'127.0.0.3'.\n");
  std::string config = write_config("hosts.toml",
                                    "[topologies.hosts]\nstrategy = \"erlang_hosts\"\n"
                                    "hosts_file = \"" +
                                        hosts + "\"\npolling_interval = \"300ms\"\n");
  std::vector<std::string> names = {node_name("h1", "127.0.0.2"), node_name("h2", "127.0.0.3"),
                                    node_name("h3", "127.0.0.3")};
  auto start = Clock::now();
  std::vector<ChildProcess> nodes;
  for (const auto& name : names) nodes.push_back(spawn_node(name, config));
  ASSERT_TRUE(views_become(full_mesh(names), 20s)) << last_views_ << logs(nodes);
  report("erlang_hosts: formation of 3 nodes on 2 hosts", seconds_since(start));
}

// erlang_hosts without hosts_file reads .hosts.erlang from the working
// directory. Only that node runs discovery; the two others are plain
// nodes, so everything it lists it found itself.
TEST_F(ClusterProcessTest, ErlangHostsFromTheWorkingDirectory) {
  start_epmd({"127.0.0.1", "127.0.0.2", "127.0.0.3"});
  dir_.write(".hosts.erlang", "% the hosts of this test\n'127.0.0.2'.\n'127.0.0.3'.\n");
  testing::TempDir empty_home;  // so the home-directory fallback finds nothing
  std::string config = write_config("cwd.toml",
                                    "[topologies.cwd]\nstrategy = \"erlang_hosts\"\n"
                                    "polling_interval = \"300ms\"\n");
  std::string plain = write_config("plain.toml", "");
  std::string seeker = node_name("w1", "127.0.0.2");
  std::vector<std::string> others = {node_name("w2", "127.0.0.2"), node_name("w3", "127.0.0.3")};
  std::vector<ChildProcess> nodes;
  for (const auto& name : others) nodes.push_back(start_node(name, plain));
  nodes.push_back(spawn_node(seeker, config, {}, dir_.path(), {{"HOME", empty_home.path()}}));
  std::sort(others.begin(), others.end());
  ASSERT_TRUE(views_become({{seeker, others}}, 20s)) << last_views_ << logs(nodes);
}

// Discovery failing keeps membership: the EPMD dies (every host's lookup
// fails), or .hosts.erlang becomes garbage.
class ClusterDiscoveryFailureTest : public ClusterProcessTest {
 protected:
  static constexpr auto kPolling = 300ms;

  void form() {
    start_epmd({"127.0.0.1", "127.0.0.2", "127.0.0.3"});
    hosts_file_ = dir_.write(".hosts.erlang", "'127.0.0.2'.\n'127.0.0.3'.\n");
    std::string config = write_config("hosts.toml",
                                      "[topologies.hosts]\nstrategy = \"erlang_hosts\"\n"
                                      "hosts_file = \"" +
                                          hosts_file_ + "\"\npolling_interval = \"300ms\"\n");
    names_ = {node_name("f1", "127.0.0.2"), node_name("f2", "127.0.0.3"),
              node_name("f3", "127.0.0.3")};
    for (const auto& name : names_) nodes_.push_back(spawn_node(name, config));
    ASSERT_TRUE(views_become(full_mesh(names_), 20s)) << last_views_ << logs(nodes_);
  }

  // Log text after the mark, per node.
  void mark() {
    marks_.clear();
    for (auto& node : nodes_) marks_.push_back(node.output().size());
  }
  std::string since_mark(size_t i) { return nodes_[i].output().substr(marks_[i]); }

  // Every node logs at least `failures` discovery failures after the mark
  // and never a departure.
  void expect_kept(size_t failures) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      EXPECT_TRUE(eventually(
          [&] { return count_of(since_mark(i), "discovery failed: ") >= failures; }, 10s))
          << since_mark(i);
      std::string log = since_mark(i);
      EXPECT_NE(log.find("; keeping the "), std::string::npos) << log;
      EXPECT_EQ(log.find("disconnecting"), std::string::npos) << log;
      EXPECT_EQ(log.find("went down"), std::string::npos) << log;
      EXPECT_EQ(log.find("nodedown"), std::string::npos) << log;
      EXPECT_TRUE(nodes_[i].running()) << log;
    }
  }

  std::string hosts_file_;
  std::vector<std::string> names_;
  std::vector<ChildProcess> nodes_;
  std::vector<size_t> marks_;
};

TEST_F(ClusterDiscoveryFailureTest, EpmdKilledKeepsTheMembers) {
  ASSERT_NO_FATAL_FAILURE(form());
  // Without EPMD, `beamlink nodes` dials each node's distribution port,
  // which the node logged at start.
  std::map<std::string, std::string> dist_ports;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto found = testing::numbers_after(nodes_[i].output(), "distribution port ");
    ASSERT_FALSE(found.empty()) << nodes_[i].output();
    dist_ports[names_[i]] = std::to_string(found.front());
  }
  mark();
  epmd_->process.stop(SIGKILL);
  std::this_thread::sleep_for(5 * kPolling);
  expect_kept(3);
  Views want = full_mesh(names_);
  for (const auto& name : names_) {
    auto listed = peers(name, {"--no-epmd", "--peer-port", dist_ports[name]});
    ASSERT_TRUE(listed) << name << " did not answer without EPMD";
    EXPECT_EQ(*listed, want[name]) << name;
  }
}

TEST_F(ClusterDiscoveryFailureTest, GarbageHostsFileKeepsTheMembers) {
  ASSERT_NO_FATAL_FAILURE(form());
  mark();
  dir_.write(".hosts.erlang", "this is {not erlang\n");
  std::this_thread::sleep_for(5 * kPolling);
  expect_kept(3);
  EXPECT_TRUE(views_become(full_mesh(names_), 5s)) << last_views_;
}

// The reconciler's retry delays for a node that does not exist, read from
// the debug log: without jitter they are exactly 50, 100, 200, 400, 400 ms
// (doubling up to backoff_max), and the next attempt really waits that long.
TEST_F(ClusterProcessTest, BackoffGrowsToTheCap) {
  start_epmd({"127.0.0.1"});
  std::string ghost = node_name("ghost", "127.0.0.1");
  std::string config = write_config(
      "backoff.toml", "[topologies.static]\nstrategy = \"epmd\"\nhosts = [\"" + ghost + "\"]\n",
      "backoff_initial = \"50ms\"\nbackoff_max = \"400ms\"\njitter = 0\n");
  ChildProcess node = start_node(node_name("bo", "127.0.0.1"), config, {"--log-level", "debug"});
  ASSERT_TRUE(
      eventually([&] { return node.output().find("retry 6 in") != std::string::npos; }, 10s))
      << node.output();
  std::string log = node.output();
  const int64_t want[] = {50, 100, 200, 400, 400, 400};
  for (int n = 1; n <= 6; ++n) {
    auto delays = testing::numbers_after(log, "retry " + std::to_string(n) + " in ");
    ASSERT_EQ(delays.size(), 1u) << "retry " << n << "\n" << log;
    EXPECT_EQ(delays[0], want[n - 1]) << "retry " << n;
  }
  // Each retry starts no sooner than its delay after the failure before it.
  for (int n = 1; n <= 5; ++n) {
    int64_t failed = logged_at(log, "; retry " + std::to_string(n) + " in ");
    int64_t retried = logged_at(log, ghost + " (retry " + std::to_string(n) + ")");
    ASSERT_GE(failed, 0) << log;
    ASSERT_GE(retried, 0) << log;
    int64_t waited = (retried - failed + 86'400'000) % 86'400'000;  // across midnight
    std::cout << "[ measured ] backoff: retry " << n << " planned " << want[n - 1]
              << " ms, started after " << waited << " ms" << std::endl;
    EXPECT_GE(waited, want[n - 1] - 2) << log;  // the log clock has ms resolution
    EXPECT_LT(waited, want[n - 1] + 1000) << log;
  }
  // The first failure is logged at info, later ones at debug.
  EXPECT_NE(log.find("info [beamlink:static] cannot connect to " + ghost), std::string::npos)
      << log;
  EXPECT_NE(log.find("debug [beamlink:static] cannot connect to " + ghost), std::string::npos)
      << log;
}

// --check-config: exit 2 and one line naming the topology and the key for
// each mistake; exit 0 for a good file.
TEST_F(ClusterProcessTest, CheckConfigNamesTheTopologyAndKey) {
  struct Case {
    std::string toml;
    std::vector<std::string> mentions;
  };
  const Case cases[] = {
      {"[topologies.alpha]\nstrategy = \"no_such_strategy\"\n", {"alpha", "no_such_strategy"}},
      {"[topologies.beta]\nstrategy = \"epmd\"\nhosts = [\"a@127.0.0.1\"]\nhostz = 1\n",
       {"beta", "hostz"}},
      {"[topologies.gamma]\nstrategy = \"local_epmd\"\npolling_interval = true\n",
       {"gamma", "polling_interval"}},
      {"[topologies.delta]\nstrategy = \"epmd\"\nhosts = \"a@127.0.0.1\"\n", {"delta", "hosts"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string file = dir_.write("bad" + std::to_string(n++) + ".toml",
                                  "[node]\nname = \"chk@127.0.0.1\"\ncookie = \"x\"\n\n" + c.toml);
    auto r = testing::run_process({kCli, "node", "--config", file, "--check-config"}, "", 10s);
    EXPECT_EQ(r.exit_code, 2) << c.toml << r.out << r.err;
    EXPECT_EQ(count_of(r.err, "\n"), 1u) << "one line: " << r.err;
    for (const auto& word : c.mentions) {
      EXPECT_NE(r.err.find(word), std::string::npos) << word << " not in: " << r.err;
    }
  }
  std::string good = dir_.write(
      "good.toml",
      "[node]\nname = \"chk@127.0.0.1\"\ncookie = \"x\"\n\n"
      "[topologies.static]\nstrategy = \"epmd\"\nhosts = [\"a@127.0.0.2\"]\ntimeout = \"2s\"\n\n"
      "[topologies.local]\nstrategy = \"local_epmd\"\npolling_interval = \"300ms\"\n\n"
      "[topologies.hosts]\nstrategy = \"erlang_hosts\"\nhosts_file = \"/nonexistent\"\n");
  auto r = testing::run_process({kCli, "node", "--config", good, "--check-config"}, "", 10s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("configuration ok", 0), 0u) << r.out;
}

// The startup wait: ready anyway after the timeout, a failed start with
// --startup-required, and ready at once when the peer is there.
TEST_F(ClusterProcessTest, StartupWaitsForPeers) {
  start_epmd({"127.0.0.1"});
  std::string peer = node_name("peer", "127.0.0.1");
  std::string lonely =
      write_config("lonely.toml", "[topologies.static]\nstrategy = \"epmd\"\nhosts = [\"" +
                                      node_name("absent", "127.0.0.1") + "\"]\n");
  const std::vector<std::string> wait = {"--min-peers", "1", "--startup-timeout", "500ms"};

  ChildProcess anyway = start_node(node_name("st1", "127.0.0.1"), lonely, wait);
  EXPECT_NE(anyway.output().find("peer(s) after 500 ms; ready anyway"), std::string::npos)
      << anyway.output();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(anyway.running()) << anyway.output();

  std::vector<std::string> required = wait;
  required.push_back("--startup-required");
  auto spawned = Clock::now();
  ChildProcess strict = spawn_node(node_name("st2", "127.0.0.1"), lonely, required);
  std::optional<int> code = strict.wait_for(5s);
  double took = seconds_since(spawned);
  ASSERT_TRUE(code) << "still running with --startup-required: " << strict.output();
  EXPECT_NE(*code, 0) << strict.output();
  EXPECT_NE(strict.output().find("required"), std::string::npos) << strict.output();
  EXPECT_EQ(strict.output().find("[beamlink:node] ready"), std::string::npos) << strict.output();
  EXPECT_LT(took, 3.0) << strict.output();
  report("startup: exit with --startup-required and a 500 ms timeout (from spawn)", took);

  std::string with_peer = write_config(
      "peer.toml", "[topologies.static]\nstrategy = \"epmd\"\nhosts = [\"" + peer + "\"]\n");
  ChildProcess target = start_node(peer, write_config("plain.toml", ""));
  ChildProcess happy = start_node(node_name("st3", "127.0.0.1"), with_peer,
                                  {"--min-peers", "1", "--startup-timeout", "5s"});
  EXPECT_NE(happy.output().find("ready: 1 peer(s) connected"), std::string::npos) << happy.output();
}

}  // namespace
}  // namespace beamlink
