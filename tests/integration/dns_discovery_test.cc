// DNS discovery end to end: `beamlink node --config` processes named
// <app>@127.0.0.x, as pods are named <app>@<pod ip>, find each other
// through a real dnsmasq whose records the test changes: scale up, scale
// down, a pod replaced by one with a new address, SRV records, and lookups
// that fail (SERVFAIL, a server that never answers, REFUSED) or find no
// service at all, and a short service name completed by the search list
// whose AAAA lookup fails while its A lookup is answered.
//
// All nodes share one basename, so one EPMD could not hold them: they run
// without EPMD on one distribution port, each on its own address, as pods
// do. Membership is read from each node's /status: `peers` (its real
// connections) for the address strategies, `desired` for SRV, whose
// targets are pod names that only cluster DNS would resolve. Ports, names
// and files are the test's own; every process is stopped by pid; a missing
// dnsmasq fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "integration/support/child_process.h"
#include "integration/support/dns_server.h"
#include "integration/support/node_status.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::BrokenDnsServer;
using testing::ChildProcess;
using testing::eventually;
using Strings = std::vector<std::string>;
using Hosts = std::vector<int>;  // 2 is 127.0.0.2

const std::string kCli = BEAMLINK_CLI_PATH;
const std::string kService = "app-headless.default.svc.cluster.local";

std::string join(const Strings& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

struct RunningNode {
  std::string name;
  uint16_t health_port = 0;
  ChildProcess process;
  size_t mark = 0;  // log length at the last mark()

  std::string log_since_mark() { return process.output().substr(mark); }
};

class DnsDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_ = testing::unique_node_name("dns");
    dist_port_ = testing::free_port();
    char pattern[] = "/tmp/beamlink-dnstest-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    nodes_.clear();
    std::filesystem::remove_all(dir_);
  }

  std::string name(int host) const { return app_ + "@127.0.0." + std::to_string(host); }
  Strings names(Hosts hosts) const {
    Strings out;
    for (int host : hosts) out.push_back(name(host));
    std::sort(out.begin(), out.end());
    return out;
  }

  void start_dns(const testing::DnsRecords& records) {
    auto server = testing::Dnsmasq::start("127.0.0.1", records);
    ASSERT_TRUE(server) << server.error();
    dns_.emplace(std::move(*server));
  }
  static std::vector<std::pair<std::string, std::string>> a_records(Hosts hosts) {
    std::vector<std::pair<std::string, std::string>> records;
    for (int host : hosts) records.push_back({kService, "127.0.0." + std::to_string(host)});
    return records;
  }
  static testing::DnsRecords serving(Hosts hosts) {
    testing::DnsRecords records;
    records.hosts = a_records(hosts);
    return records;
  }
  void set_pods(Hosts hosts) {
    auto set = dns_->set_hosts(a_records(hosts));
    ASSERT_TRUE(set) << set.error();
  }

  // A config with the shared [node] and [reconciler] tables; `topology`
  // is the body of [topologies.dns] ("" for a node without discovery).
  // A node without a topology is a plain node of the discovered cluster:
  // it takes what it is told, and global does not reconnect what discovery
  // dropped (node.connect_all = false, the default with a topology).
  std::string config(const std::string& topology) {
    std::string text = "[node]\n" + std::string(topology.empty() ? "connect_all = false\n" : "") +
                       "cookie = \"" + app_ +
                       "\"\nepmd = false\npeer_port = " + std::to_string(dist_port_) +
                       "\ndist_port = " + std::to_string(dist_port_) +
                       "\n\n[reconciler]\nbackoff_initial = \"50ms\"\nbackoff_max = \"500ms\"\n";
    if (!topology.empty()) {
      text += "\n[topologies.dns]\n" + topology + "nameservers = [\"" + dns_->endpoint() +
              "\"]\npolling_interval = \"200ms\"\ntimeout = \"500ms\"\n";
    }
    std::string path = dir_ + "/node" + std::to_string(configs_++) + ".toml";
    std::ofstream(path) << text;
    return path;
  }
  std::string kubernetes_dns(int empty_polls = 3, const std::string& service = kService) {
    return config("strategy = \"kubernetes_dns\"\nservice = \"" + service +
                  "\"\napplication_name = \"" + app_ +
                  "\"\nempty_polls = " + std::to_string(empty_polls) + "\n");
  }

  RunningNode& start_node(int host, const std::string& config_file,
                          const testing::EnvOverrides& env = {}) {
    uint16_t health = testing::free_port();
    auto child = ChildProcess::spawn({kCli, "node", "--config", config_file, "--name", name(host),
                                      "--health-port", std::to_string(health)},
                                     env);
    EXPECT_TRUE(child) << child.error();
    nodes_[host] = std::make_unique<RunningNode>(name(host), health, std::move(*child));
    RunningNode& node = *nodes_[host];
    EXPECT_TRUE(eventually([&] { return testing::node_status(node.health_port).has_value(); }, 10s))
        << node.process.output();
    return node;
  }

  std::optional<testing::NodeStatus> status(int host) {
    return testing::node_status(nodes_.at(host)->health_port);
  }
  std::string json(int host) { return status(host).value_or(testing::NodeStatus{}).json; }

  // Until every listed node's `field` (peers or desired) is the names of
  // `want`, or `limit`. What they said last is in last_, for messages.
  bool become(const std::map<int, Hosts>& want, bool desired,
              std::chrono::milliseconds limit = 15s) {
    return eventually(
        [&] {
          last_.clear();
          bool all = true;
          for (const auto& [host, hosts] : want) {
            auto s = status(host);
            Strings got = !s ? Strings{"(no answer)"} : desired ? s->desired : s->peers;
            last_ += name(host) + (desired ? " desires [" : " has [") + join(got) + "]\n";
            if (!s || got != names(hosts)) all = false;
          }
          return all;
        },
        limit);
  }
  bool peers_become(const std::map<int, Hosts>& want) { return become(want, false); }

  // libcluster's Kubernetes.DNS takes `service` short, as "app-headless",
  // and the pod's search list completes it. The server answers under
  // cluster.local only; the bare name, where the search list ends, goes
  // to `upstream` (none: REFUSED, as an air-gapped cluster's DNS answers).
  // The A lookup is answered under the first search domain; the AAAA
  // lookup finds no record under any of them (NODATA, NXDOMAIN) and ends
  // with the bare name's failure, `rcode`. Two nodes must still mesh on
  // their A records, with no discovery error.
  void short_service_meshes_although_aaaa_fails(const std::string& upstream, int rcode,
                                                const std::string& status_name) {
    testing::DnsRecords records = serving({2, 3});
    records.local_zones = {"cluster.local"};
    records.upstream = upstream;
    ASSERT_NO_FATAL_FAILURE(start_dns(records));
    const std::string short_name = "app-headless";
    // The failure is the server's own: the bare name fails, the full one
    // has A records and no AAAA record (NODATA).
    ASSERT_EQ(testing::dns_rcode("127.0.0.1", dns_->port(), short_name, 28), rcode);
    ASSERT_EQ(testing::dns_rcode("127.0.0.1", dns_->port(), kService, 28), 0);
    ASSERT_EQ(testing::dns_rcode("127.0.0.1", dns_->port(), kService, 1), 0);

    // The search list of a pod in namespace "default" (c-ares reads
    // LOCALDOMAIN as resolv.conf's `search` line).
    const testing::EnvOverrides pod_search = {
        {"LOCALDOMAIN", "default.svc.cluster.local svc.cluster.local cluster.local"},
        {"BEAMLINK_LOG_LEVEL", "debug"}};
    std::string discovering = kubernetes_dns(3, short_name);
    start_node(2, discovering, pod_search);
    start_node(3, discovering, pod_search);
    ASSERT_TRUE(peers_become({{2, {3}}, {3, {2}}})) << last_ << logs();
    for (int host : {2, 3}) {
      auto s = status(host);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->discovery_errors, 0u) << s->json;
      // The failed family is reported, at debug, beside the good one.
      std::string log = nodes_[host]->process.output();
      EXPECT_NE(log.find("AAAA " + short_name + ": " + status_name), std::string::npos) << log;
    }
  }

  std::string logs() {
    std::string out = "--- dnsmasq\n" + (dns_ ? dns_->output() : std::string());
    for (auto& [host, node] : nodes_) out += "--- " + node->name + "\n" + node->process.output();
    return out;
  }

  std::string app_;
  uint16_t dist_port_ = 0;
  std::string dir_;
  int configs_ = 0;
  std::optional<testing::Dnsmasq> dns_;
  std::map<int, std::unique_ptr<RunningNode>> nodes_;
  std::string last_;
};

TEST_F(DnsDiscoveryTest, KubernetesDnsFollowsScaleUpScaleDownAndAReplacedPod) {
  ASSERT_NO_FATAL_FAILURE(start_dns(serving({2, 3})));
  std::string discovering = kubernetes_dns();
  start_node(2, discovering);
  start_node(3, discovering);
  ASSERT_TRUE(peers_become({{2, {3}}, {3, {2}}})) << last_ << logs();

  // Scale up: a pod at .4 (a plain node: whatever it knows, it is told).
  start_node(4, config(""));
  ASSERT_NO_FATAL_FAILURE(set_pods({2, 3, 4}));
  ASSERT_TRUE(peers_become({{2, {3, 4}}, {3, {2, 4}}, {4, {2, 3}}})) << last_ << logs();

  // Scale down: .4 leaves DNS while it still runs; the others disconnect it.
  ASSERT_NO_FATAL_FAILURE(set_pods({2, 3}));
  ASSERT_TRUE(peers_become({{2, {3}}, {3, {2}}, {4, {}}})) << last_ << logs();
  // One of them drops it for its discovery; the other either did the same
  // or was told first by global (OTP 25's prevent_overlapping_partitions).
  int by_discovery = 0;
  for (int host : {2, 3}) {
    const std::string log = nodes_[host]->process.output();
    bool discovered =
        log.find("disconnecting " + name(4) + ": no longer discovered") != std::string::npos;
    bool by_global = log.find("global: dropping " + name(4)) != std::string::npos;
    by_discovery += discovered ? 1 : 0;
    EXPECT_TRUE(discovered || by_global) << log;
  }
  EXPECT_GE(by_discovery, 1);
  nodes_[4]->process.stop();
  nodes_.erase(4);

  // The pod at .3 is replaced by one at .5.
  nodes_[3]->process.stop();
  nodes_.erase(3);
  ASSERT_NO_FATAL_FAILURE(set_pods({2, 5}));
  start_node(5, discovering);
  ASSERT_TRUE(peers_become({{2, {5}}, {5, {2}}})) << last_ << logs();
  ASSERT_TRUE(become({{2, {5}}}, /*desired=*/true)) << last_;
}

// dns_poll names IPv6 pods as inet_ntop writes them; this node is left out.
TEST_F(DnsDiscoveryTest, DnsPollNamesIpv4AndIpv6Pods) {
  const std::string query = "nodes.example.cluster.local";
  ASSERT_NO_FATAL_FAILURE(start_dns(testing::DnsRecords{
      .hosts = {{query, "127.0.0.2"}, {query, "127.0.0.3"}, {query, "fd00:0::5"}},
      .srv = {},
      .local_zones = {"#"},
      .upstream = {}}));
  start_node(2, config("strategy = \"dns_poll\"\nquery = \"" + query + "\"\nnode_basename = \"" +
                       app_ + "\"\n"));
  Strings want = {app_ + "@127.0.0.3", app_ + "@fd00::5"};
  ASSERT_TRUE(eventually([&] { return status(2) && status(2)->desired == want; }, 10s))
      << json(2) << logs();
}

TEST_F(DnsDiscoveryTest, KubernetesDnsSrvFollowsTheServiceRecords) {
  const std::string service = "app.default.svc.cluster.local";
  auto pods = [&](int count) {
    testing::DnsRecords records;
    for (int i = 0; i < count; ++i) {
      records.srv.push_back({service, "app-" + std::to_string(i) + "." + service});
    }
    return records;
  };
  auto desired = [&](int count) {
    Strings out;
    for (int i = 0; i < count; ++i)
      out.push_back(app_ + "@app-" + std::to_string(i) + "." + service);
    return out;
  };
  ASSERT_NO_FATAL_FAILURE(start_dns(pods(2)));
  start_node(2, config("strategy = \"kubernetes_dnssrv\"\nservice = \"app\"\n"
                       "application_name = \"" +
                       app_ + "\"\nempty_polls = 2\n"));
  auto desired_is = [&](const Strings& want) {
    return eventually([&] { return status(2) && status(2)->desired == want; }, 10s);
  };
  ASSERT_TRUE(desired_is(desired(2))) << json(2) << logs();
  for (int count : {3, 1}) {  // scale up, then down (SRV changes need a restart)
    ASSERT_TRUE(dns_->restart(pods(count))) << dns_->output();
    ASSERT_TRUE(desired_is(desired(count))) << json(2) << logs();
  }
  // The service is deleted: NXDOMAIN twice in a row empties the set.
  ASSERT_TRUE(dns_->restart(pods(0))) << dns_->output();
  ASSERT_TRUE(desired_is({})) << json(2) << logs();
  std::string log = nodes_[2]->process.output();
  EXPECT_NE(log.find("SRV " + service + ": NXDOMAIN (1 of 2"), std::string::npos) << log;
  EXPECT_NE(log.find("NXDOMAIN (2 of 2): the set is now empty"), std::string::npos) << log;
}

// Failed lookups keep the mesh, each one counted and logged; only a
// service that is gone (NXDOMAIN, empty_polls times in a row) empties it.
TEST_F(DnsDiscoveryTest, FailedLookupsKeepTheMembers) {
  ASSERT_NO_FATAL_FAILURE(start_dns(serving({2, 3, 4})));
  std::string discovering = kubernetes_dns(3);
  for (int host : {2, 3, 4}) start_node(host, discovering);
  const std::map<int, Hosts> mesh = {{2, {3, 4}}, {3, {2, 4}}, {4, {2, 3}}};
  ASSERT_TRUE(peers_become(mesh)) << last_ << logs();
  const uint16_t port = dns_->port();

  // Each stage: the errors grow by 3 on every node, naming the status; the
  // mesh stays; nothing is disconnected.
  auto expect_kept = [&](const std::string& status_name) {
    std::map<int, uint64_t> before;
    for (int host : {2, 3, 4}) {
      before[host] = status(host)->discovery_errors;
      nodes_[host]->mark = nodes_[host]->process.output().size();
    }
    for (int host : {2, 3, 4}) {
      EXPECT_TRUE(eventually(
          [&] {
            auto s = status(host);
            return s && s->discovery_errors >= before[host] + 3 &&
                   s->last_error.find(status_name) != std::string::npos;
          },
          10s))
          << status_name << "\n"
          << json(host);
      std::string log = nodes_[host]->log_since_mark();
      EXPECT_NE(log.find("discovery failed: "), std::string::npos) << log;
      EXPECT_NE(log.find(kService + ": " + status_name), std::string::npos) << log;
      EXPECT_EQ(log.find("disconnecting"), std::string::npos) << log;
    }
    EXPECT_TRUE(peers_become(mesh)) << status_name << "\n" << last_;
  };

  dns_->stop();
  auto servfail = BrokenDnsServer::start(BrokenDnsServer::Mode::servfail, "127.0.0.1", port);
  ASSERT_TRUE(servfail);
  ASSERT_EQ(testing::dns_rcode("127.0.0.1", port, kService, 1), 2);
  expect_kept("ARES_ESERVFAIL");
  servfail.reset();

  auto silent = BrokenDnsServer::start(BrokenDnsServer::Mode::silent, "127.0.0.1", port);
  ASSERT_TRUE(silent);
  expect_kept("ARES_ETIMEOUT");
  silent.reset();

  // A server that does not serve the zone at all.
  ASSERT_TRUE(dns_->restart({.hosts = {}, .srv = {}, .local_zones = {}, .upstream = {}}))
      << dns_->output();
  ASSERT_EQ(testing::dns_rcode("127.0.0.1", port, kService, 1), 5);
  expect_kept("ARES_EREFUSED");

  // The service is deleted: the set empties after three NXDOMAINs in a row.
  for (int host : {2, 3, 4}) nodes_[host]->mark = nodes_[host]->process.output().size();
  ASSERT_TRUE(dns_->restart(testing::DnsRecords{})) << dns_->output();
  ASSERT_TRUE(peers_become({{2, {}}, {3, {}}, {4, {}}})) << last_ << logs();
  for (int host : {2, 3, 4}) {
    std::string log = nodes_[host]->log_since_mark();
    size_t second = log.find("NXDOMAIN (2 of 3");
    size_t emptied = log.find("NXDOMAIN (3 of 3): the set is now empty");
    size_t disconnect = log.find("disconnecting");
    EXPECT_NE(second, std::string::npos) << log;
    EXPECT_NE(emptied, std::string::npos) << log;
    EXPECT_LT(second, disconnect) << "disconnected before the third empty answer:\n" << log;
  }
}

TEST_F(DnsDiscoveryTest, KubernetesDnsShortServiceMeshesWhenAaaaIsRefused) {
  short_service_meshes_although_aaaa_fails("", 5, "ARES_EREFUSED");
}

TEST_F(DnsDiscoveryTest, KubernetesDnsShortServiceMeshesWhenAaaaGetsServfail) {
  uint16_t port = testing::free_port();
  auto failing = BrokenDnsServer::start(BrokenDnsServer::Mode::servfail, "127.0.0.1", port);
  ASSERT_TRUE(failing);
  short_service_meshes_although_aaaa_fails("127.0.0.1#" + std::to_string(port), 2,
                                           "ARES_ESERVFAIL");
}

}  // namespace
}  // namespace beamlink
