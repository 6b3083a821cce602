// /metrics end to end: three `beamlink node` processes cluster through one
// EPMD (the static epmd strategy), each with its health port; their
// /metrics answers must pass Debian's `promtool check metrics` and say
// what the cluster is (two connections each, a peer series per other
// node, handshakes timed), and a real Prometheus server (Debian's
// /usr/bin/prometheus) scraping the three must come to hold their series.
//
// Prometheus listens on loopback only (--web.listen-address 127.0.0.1:P,
// its own port), keeps its data in the test's temporary directory, and is
// stopped by pid; every wait polls a condition, bounded in time. A missing
// promtool or prometheus fails the test (scripts/install-deps.sh installs
// Debian's `prometheus`).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/support/child_process.h"
#include "integration/support/cluster_support.h"
#include "integration/support/http_get.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;

const std::string kCli = BEAMLINK_CLI_PATH;
const std::string kPrometheus = "/usr/bin/prometheus";
const std::string kPromtool = "/usr/bin/promtool";

struct RunningNode {
  std::string name;
  uint16_t health_port = 0;
  ChildProcess process;
};

// The value of the sample line that starts with `series` ("name{labels}"
// exactly as the encoder writes it); nullopt if there is none.
std::optional<double> sample(const std::string& text, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  size_t at = text.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + needle.size()));
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = testing::start_epmd_child(kCli, {"127.0.0.1"});
    if (!epmd) throw std::runtime_error(epmd.error());
    epmd_.emplace(std::move(*epmd));
    std::vector<std::string> names;
    for (const char* tag : {"m1", "m2", "m3"}) {
      names.push_back(testing::unique_node_name(tag) + "@127.0.0.1");
    }
    std::string hosts;
    for (const auto& name : names) hosts += (hosts.empty() ? "\"" : ", \"") + name + "\"";
    const std::string config =
        dir_.write("metrics.toml", "[node]\ncookie = \"" + testing::unique_node_name("cookie") +
                                       "\"\nepmd_port = " + std::to_string(epmd_->port) +
                                       "\n\n[reconciler]\nbackoff_initial = \"50ms\"\n\n"
                                       "[topologies.static]\nstrategy = \"epmd\"\nhosts = [" +
                                       hosts + "]\n");
    for (const auto& name : names) {
      const uint16_t health = testing::free_port();
      auto child = ChildProcess::spawn({kCli, "node", "--config", config, "--name", name,
                                        "--health-port", std::to_string(health)});
      if (!child) throw std::runtime_error("cannot start beamlink node: " + child.error());
      nodes_.push_back(RunningNode{name, health, std::move(*child)});
    }
  }

  std::optional<std::string> metrics(const RunningNode& node) {
    auto reply = testing::http_get("127.0.0.1", node.health_port, "/metrics");
    if (!reply || reply->status != 200) return std::nullopt;
    return reply->body;
  }

  // Every node's /metrics says two connections.
  bool mesh_formed() {
    for (const auto& node : nodes_) {
      auto text = metrics(node);
      if (!text || sample(*text, "beamlink_connections") != 2.0) return false;
    }
    return true;
  }

  std::string logs() {
    std::string out;
    for (auto& node : nodes_) out += "--- " + node.name + "\n" + node.process.output();
    return out;
  }

  std::optional<testing::EpmdChild> epmd_;
  testing::TempDir dir_;
  std::vector<RunningNode> nodes_;
};

TEST_F(MetricsTest, MetricsPassPromtoolAndDescribeTheCluster) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " missing: apt-get install prometheus";
  ASSERT_TRUE(eventually([&] { return mesh_formed(); }, 30s)) << logs();
  for (const auto& node : nodes_) {
    auto reply = testing::http_get("127.0.0.1", node.health_port, "/metrics");
    ASSERT_TRUE(reply && reply->status == 200) << node.name;
    EXPECT_NE(reply->head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
              std::string::npos)
        << reply->head;
    const std::string& text = reply->body;
    auto checked = testing::run_process({kPromtool, "check", "metrics"}, text, 20s);
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << "\n" << text;
    EXPECT_EQ(checked.out + checked.err, "") << "promtool lint:\n" << checked.out << checked.err;

    EXPECT_EQ(sample(text, "beamlink_node_info{node=\"" + node.name + "\"}"), 1.0) << text;
    EXPECT_EQ(sample(text, "beamlink_cluster_ready"), 1.0) << text;
    // The strategy's set, without this node.
    EXPECT_EQ(
        sample(text, "beamlink_topology_desired_nodes{topology=\"static\",strategy=\"epmd\"}"), 2.0)
        << text;
    // Each connection was handshaken on this node, whoever dialled.
    EXPECT_GE(sample(text, "beamlink_dist_handshake_duration_seconds_count").value_or(0), 2.0)
        << text;
    EXPECT_GE(sample(text, "beamlink_dist_connects_total{direction=\"outgoing\"}").value_or(0) +
                  sample(text, "beamlink_dist_connects_total{direction=\"incoming\"}").value_or(0),
              2.0)
        << text;
    EXPECT_GE(sample(text, "beamlink_processes").value_or(0), 1.0) << text;
    EXPECT_EQ(sample(text, "beamlink_pg_scope_local_members{scope=\"pg\"}"), 0.0) << text;
    for (const auto& other : nodes_) {
      if (other.name == node.name) continue;
      const std::string peer = "{peer=\"" + other.name + "\"}";
      // pg's discover and global's sync crossed every connection.
      EXPECT_GT(sample(text, "beamlink_peer_bytes_received_total" + peer).value_or(0), 0) << text;
      EXPECT_GT(sample(text, "beamlink_peer_messages_received_total" + peer).value_or(0), 0)
          << text;
      EXPECT_GT(sample(text, "beamlink_peer_bytes_sent_total" + peer).value_or(0), 0) << text;
      EXPECT_TRUE(sample(text, "beamlink_peer_send_queue_bytes" + peer).has_value()) << text;
    }
  }
}

// Prometheus on loopback, scraping the three health ports every second.
class PrometheusServer {
 public:
  // Starts it on a free loopback port (retrying a lost race for the port)
  // and returns once it reports ready; nullopt with `error` set otherwise.
  static std::optional<PrometheusServer> start(const testing::TempDir& dir,
                                               const std::vector<uint16_t>& targets,
                                               std::string& error) {
    std::string list;
    for (uint16_t port : targets) {
      list += (list.empty() ? "'" : ", '") + std::string("127.0.0.1:") + std::to_string(port) + "'";
    }
    const std::string config = dir.write(
        "prometheus.yml",
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: beamlink\n    static_configs:\n      - targets: [" +
            list + "]\n");
    for (int attempt = 0; attempt < 3; ++attempt) {
      const uint16_t port = testing::free_port();
      auto child = ChildProcess::spawn({kPrometheus, "--config.file=" + config,
                                        "--storage.tsdb.path=" + dir.path() + "/tsdb",
                                        "--web.listen-address=127.0.0.1:" + std::to_string(port)});
      if (!child) {
        error = child.error();
        return std::nullopt;
      }
      const bool ready = eventually(
          [&] {
            auto reply = testing::http_get("127.0.0.1", port, "/-/ready");
            return (reply && reply->status == 200) || !child->running();
          },
          30s);
      if (ready && child->running()) return PrometheusServer(std::move(*child), port);
      error = child->output();
      child->stop(SIGTERM, 10s);
    }
    return std::nullopt;
  }

  // The instant vector of `query`: each series' instance label and value.
  std::optional<std::map<std::string, double>> query(const std::string& query) const {
    auto reply = testing::http_get("127.0.0.1", port_, "/api/v1/query?query=" + query, 5s);
    if (!reply || reply->status != 200) return std::nullopt;
    auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_object() || json.value("status", "") != "success") return std::nullopt;
    std::map<std::string, double> out;
    for (const auto& series : json["data"]["result"]) {
      out[series["metric"].value("instance", "")] =
          std::stod(series["value"][1].get<std::string>());
    }
    return out;
  }

  ChildProcess& process() { return process_; }

 private:
  PrometheusServer(ChildProcess process, uint16_t port)
      : process_(std::move(process)), port_(port) {}
  ChildProcess process_;
  uint16_t port_;
};

TEST_F(MetricsTest, RealPrometheusScrapesEveryNode) {
  ASSERT_TRUE(std::filesystem::exists(kPrometheus))
      << kPrometheus << " missing: apt-get install prometheus";
  ASSERT_TRUE(eventually([&] { return mesh_formed(); }, 30s)) << logs();
  std::vector<uint16_t> targets;
  std::vector<std::string> instances;
  for (const auto& node : nodes_) {
    targets.push_back(node.health_port);
    instances.push_back("127.0.0.1:" + std::to_string(node.health_port));
  }
  std::string error;
  auto prometheus = PrometheusServer::start(dir_, targets, error);
  ASSERT_TRUE(prometheus) << "prometheus did not come up: " << error;

  std::map<std::string, double> connections;
  const bool scraped = eventually(
      [&] {
        auto got = prometheus->query("beamlink_connections");
        if (!got) return false;
        connections = *got;
        return connections.size() == nodes_.size();
      },
      30s);
  EXPECT_TRUE(scraped) << connections.size() << " series\n" << prometheus->process().output();
  for (const auto& instance : instances) {
    EXPECT_EQ(connections[instance], 2.0) << instance;
  }
  // A histogram, summed by Prometheus: every node timed its handshakes.
  auto handshakes = prometheus->query("beamlink_dist_handshake_duration_seconds_count");
  ASSERT_TRUE(handshakes);
  for (const auto& instance : instances) EXPECT_GE((*handshakes)[instance], 2.0) << instance;
  // Every target is up as Prometheus itself sees it.
  auto up = prometheus->query("up");
  ASSERT_TRUE(up);
  for (const auto& instance : instances) EXPECT_EQ((*up)[instance], 1.0) << instance;

  EXPECT_EQ(prometheus->process().stop(SIGTERM, 20s), 0) << prometheus->process().output();
}

}  // namespace
}  // namespace beamlink
