// The Kubernetes support across real network namespaces, one per pod
// (support/pod_network.h): each pod has its own address in 198.18.0.0/16
// and runs a real `beamlink node` (EPMD in its process, distribution port
// 9000) named by its name_mode from POD_IP, NAMESPACE and HOSTNAME, as the
// downward API sets them. The pods find each other through the stand-in
// Kubernetes API or dnsmasq, both in the hub namespace on 198.18.0.1
// (support/pod_discovery.h). Peer names resolve inside the pods through
// /etc/netns/<pod>/hosts (API scenarios) or dnsmasq (DNS scenarios), which
// `ip netns exec` puts over /etc for the node.
//
// Per scenario, three pods form one full mesh. Then pod 2 is killed (-9)
// while still listed: the survivors retry it while it is listed; once it is
// unlisted and its namespace deleted they drop it from their desired sets
// and make no further attempt (counted in their debug logs). Then pod 1 is
// unlisted while alive: pod 0 disconnects it (its `disconnects` counter).
// Pod 1's own discovery still lists pod 0, so it may dial back, as a
// libcluster node would; the test reports whether it did.
//
// Needs root, iproute2 and dnsmasq; without them the test fails, never
// skips. Everything the test creates is removed by RAII, failure included.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/support/child_process.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_status.h"
#include "integration/support/pod_discovery.h"
#include "integration/support/pod_network.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::count_of;
using testing::eventually;
using testing::PodDiscovery;
using testing::PodNetwork;
using Strings = std::vector<std::string>;

const std::string kCli = BEAMLINK_CLI_PATH;
const std::string kHub = PodNetwork::kHubAddress;
const std::string kBasename = "worker";
constexpr uint16_t kHealthPort = 8080;
constexpr size_t kPods = 3;

enum class Source { api, dns, dnssrv };

struct Scenario {
  std::string label;
  Source source;
  std::string name_mode;  // ip, dns or hostname
  std::string lookup;     // the API's: endpoints, endpointslices or pods
  bool watch = false;
};

void PrintTo(const Scenario& scenario, std::ostream* out) {
  *out << scenario.label;
}

// What one node's /status says about it and its only topology.
struct View {
  Strings peers;
  Strings desired;
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;
  std::string json;
};

struct Pod {
  testing::ListedPod listed;  // name (worker-<i>, also HOSTNAME) and ip
  std::string node;
  std::optional<ChildProcess> process;
};

void report(const std::string& what, const std::string& value) {
  std::cout << "[ measured ] " << what << ": " << value << std::endl;
  ::testing::Test::RecordProperty(what, value);
}

std::string seconds_since(Clock::time_point start) {
  return std::to_string(std::chrono::duration<double>(Clock::now() - start).count());
}

class PodsTest : public ::testing::TestWithParam<Scenario> {
 protected:
  void SetUp() override {
    const Scenario& s = GetParam();
    cookie_ = "pods-" + testing::unique_node_name("c");
    service_ = {.ns = "beamlink",
                .name = "worker-headless",
                .app = kBasename,
                .stateful = s.name_mode == "hostname"};
    auto network = PodNetwork::create(kPods);
    ASSERT_TRUE(network) << network.error();
    network_ = std::move(*network);
    std::vector<testing::ListedPod> listed;
    for (size_t i = 0; i < kPods; ++i) {
      Pod pod;
      pod.listed = {kBasename + "-" + std::to_string(i), PodNetwork::pod_address(i)};
      pod.node = kBasename + "@" + host_of(pod.listed);
      listed.push_back(pod.listed);
      pods_.push_back(std::move(pod));
    }
    auto discovery =
        s.source == Source::api
            ? PodDiscovery::start_api(network_->hub(), kHub, dir_.path(), service_, listed)
            : PodDiscovery::start_dns(network_->hub(), kHub, service_, listed,
                                      s.source == Source::dnssrv);
    ASSERT_TRUE(discovery) << discovery.error();
    discovery_ = std::move(*discovery);
    for (size_t i = 0; i < kPods; ++i) write_etc(i);
  }

  void TearDown() override {
    // All at once: a node exits only when its connect attempts in flight
    // have ended, and one to a deleted pod lasts until its timeout.
    for (auto& pod : pods_) {
      if (pod.process && pod.process->running()) ::kill(pod.process->pid(), SIGTERM);
    }
    for (auto& pod : pods_) {
      if (!pod.process) continue;
      pod.process->stop(SIGTERM, 2s);
      if (HasFailure()) {
        std::string log = pod.process->output();
        if (log.size() > 12000) log = "..." + log.substr(log.size() - 12000);
        std::cerr << "---- " << pod.node << " ----\n" << log << "\n";
      }
    }
    if (HasFailure() && discovery_) std::cerr << discovery_->output() << "\n";
    pods_.clear();
    discovery_.reset();
    network_.reset();
  }

  std::string host_of(const testing::ListedPod& pod) const {
    const std::string& mode = GetParam().name_mode;
    if (mode == "dns") return testing::pod_dns_name(pod.ip, service_.ns);
    if (mode == "hostname") return testing::pod_hostname_name(pod.name, service_);
    return pod.ip;
  }

  // API scenarios resolve pod names from a hosts file, DNS ones from dnsmasq.
  void write_etc(size_t i) {
    const testing::NetNs& ns = *network_->pod(i);
    std::string hosts = "127.0.0.1 localhost\n";
    if (GetParam().source == Source::api) {
      for (const auto& pod : pods_) {
        hosts += pod.listed.ip + " " + testing::pod_dns_name(pod.listed.ip, service_.ns) + " " +
                 testing::pod_hostname_name(pod.listed.name, service_) + "\n";
      }
    } else {
      auto resolv = ns.write_etc("resolv.conf", "nameserver " + kHub + "\noptions timeout:1\n");
      ASSERT_TRUE(resolv) << resolv.error();
    }
    auto written = ns.write_etc("hosts", hosts);
    ASSERT_TRUE(written) << written.error();
  }

  std::string topology() const {
    const Scenario& s = GetParam();
    const std::string dns = "\"\napplication_name = \"" + kBasename + "\"\nnameservers = [\"" +
                            kHub + "\"]\npolling_interval = 300\n";
    switch (s.source) {
      case Source::api:
        return "strategy = \"kubernetes\"\nkubernetes_node_basename = \"" + kBasename +
               "\"\nkubernetes_selector = \"app=" + service_.app +
               "\"\nkubernetes_service_account_path = \"" + discovery_->service_account_dir() +
               "\"\nkubernetes_service_name = \"" + service_.name +
               "\"\nkubernetes_ip_lookup_mode = \"" + s.lookup + "\"\nmode = \"" + s.name_mode +
               "\"\nwatch = " + (s.watch ? "true" : "false") +
               "\npolling_interval = " + (s.watch ? "5000" : "300") + "\ntimeout = 2000\n";
      case Source::dns:
        return "strategy = \"kubernetes_dns\"\nservice = \"" + service_.fqdn() + dns;
      case Source::dnssrv:
        return "strategy = \"kubernetes_dnssrv\"\nservice = \"" + service_.name +
               "\"\nnamespace = \"" + service_.ns + dns;
    }
    return "";
  }

  void start_node(size_t i) {
    Pod& pod = pods_[i];
    std::string config = dir_.write(
        pod.listed.name + ".toml",
        "[node]\nname_mode = \"" + GetParam().name_mode + "\"\nbasename = \"" + kBasename +
            "\"\nservice_name = \"" + service_.name + "\"\ncookie = \"" + cookie_ +
            "\"\nlisten_address = \"0.0.0.0\"\ndist_port = 9000\nepmd_daemon = true\n"
            "health_port = " +
            std::to_string(kHealthPort) +
            "\nlog_level = \"debug\"\n\n[reconciler]\nbackoff_initial = 50\nbackoff_max = 500\n"
            "resync_interval = 200\n\n[topologies.workers]\n" +
            topology());
    testing::EnvOverrides env = {{"POD_IP", pod.listed.ip},
                                 {"NAMESPACE", service_.ns},
                                 {"HOSTNAME", pod.listed.name},
                                 {"CLUSTER_DOMAIN", "cluster.local"},
                                 {"ERL_EPMD_PORT", "4369"}};
    if (GetParam().source == Source::api) {
      env.emplace_back("KUBERNETES_SERVICE_HOST", kHub);
      env.emplace_back("KUBERNETES_SERVICE_PORT", std::to_string(PodDiscovery::kApiPort));
    }
    auto child =
        ChildProcess::spawn(network_->pod(i)->exec({kCli, "node", "--config", config}), env);
    ASSERT_TRUE(child) << child.error();
    pod.process.emplace(std::move(*child));
  }

  // GET /status on the pod's own loopback, from a thread in the pod.
  std::optional<View> view(size_t i) const {
    const testing::NetNs* ns = network_->pod(i);
    if (ns == nullptr) return std::nullopt;
    std::optional<testing::NodeStatus> status;
    if (!ns->run([&] { status = testing::node_status(kHealthPort, 1s); })) return std::nullopt;
    if (!status) return std::nullopt;
    auto json = nlohmann::json::parse(status->json, nullptr, false);
    if (json.is_discarded() || json["topologies"].empty()) return std::nullopt;
    const auto& topology = json["topologies"][0];
    View v;
    v.peers = status->peers;
    v.desired = status->desired;
    v.json = status->json;
    v.connect_failures = topology.value("connect_failures", uint64_t{0});
    v.disconnects = topology.value("disconnects", uint64_t{0});
    return v;
  }

  // view(i), or an empty View when the node does not answer.
  View seen(size_t i) const { return view(i).value_or(View{}); }

  // The nodes of the pods in `indices` other than pod `i`, sorted.
  Strings others(size_t i, const std::vector<size_t>& indices) const {
    Strings nodes;
    for (size_t j : indices) {
      if (j != i) nodes.push_back(pods_[j].node);
    }
    std::sort(nodes.begin(), nodes.end());
    return nodes;
  }

  // Whether every pod in `indices` has exactly the others as peers and, if
  // `desired`, in its desired set too.
  bool mesh_of(const std::vector<size_t>& indices, bool desired = false) const {
    return std::all_of(indices.begin(), indices.end(), [&](size_t i) {
      View v = seen(i);
      return v.peers == others(i, indices) && (!desired || v.desired == others(i, indices));
    });
  }

  std::string views(const std::vector<size_t>& indices) const {
    std::string out;
    for (size_t i : indices) {
      auto v = view(i);
      out += "\n" + pods_[i].node + ": " + (v ? v->json : "(no answer)");
    }
    return out;
  }

  // Dials the reconciler began ("connecting to X" or "connecting to X (retry
  // N)"); not the node's report of how one ended ("connecting to X: ..."),
  // which may come well after the dial began.
  size_t attempts_on(size_t i, const std::string& node) const {
    const std::string out = pods_[i].process->output();
    return count_of(out, "connecting to " + node + "\n") +
           count_of(out, "connecting to " + node + " (retry");
  }

  testing::TempDir dir_;
  std::string cookie_;
  testing::HeadlessService service_;
  std::unique_ptr<PodNetwork> network_;
  std::unique_ptr<PodDiscovery> discovery_;
  std::vector<Pod> pods_;
};

TEST_P(PodsTest, FormOneClusterAndDropRemovedPods) {
  const std::vector<size_t> all = {0, 1, 2};
  const std::vector<size_t> survivors = {0, 1};
  auto start = Clock::now();
  for (size_t i = 0; i < kPods; ++i) start_node(i);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(eventually([&] { return mesh_of(all, true); }, 20s)) << views(all);
  report("full mesh of 3 pods, each discovering the others (s)", seconds_since(start));

  // Pod 2 dies while still listed: dropped at once, retried while listed.
  const std::string dead = pods_[2].node;
  std::vector<uint64_t> failures = {seen(0).connect_failures, seen(1).connect_failures};
  start = Clock::now();
  pods_[2].process->stop(SIGKILL, 2s);
  ASSERT_TRUE(eventually([&] { return mesh_of(survivors); }, 10s)) << views(survivors);
  report("kill -9 to the survivors' nodedown (s)", seconds_since(start));
  EXPECT_TRUE(eventually(
      [&] {
        return seen(0).connect_failures > failures[0] && seen(1).connect_failures > failures[1];
      },
      5s))
      << "a listed pod that died is retried" << views(survivors);

  // Unlisted, namespace gone: out of the desired sets, and no more attempts.
  start = Clock::now();
  auto unlisted = discovery_->unlist(pods_[2].listed.name);
  ASSERT_TRUE(unlisted) << unlisted.error();
  network_->remove_pod(2);
  ASSERT_TRUE(eventually([&] { return mesh_of(survivors, true); }, 10s)) << views(survivors);
  report("unlisted to out of the desired sets (s)", seconds_since(start));
  std::vector<size_t> attempts = {attempts_on(0, dead), attempts_on(1, dead)};
  std::this_thread::sleep_for(2s);
  for (size_t i : survivors) {
    EXPECT_EQ(attempts_on(i, dead), attempts[i]) << pods_[i].node << " still dials " << dead;
    EXPECT_EQ(seen(i).peers, others(i, survivors));
    EXPECT_EQ(count_of(pods_[i].process->output(), dead + " is gone from discovery"), 1u);
  }

  // Pod 1 unlisted while alive: pod 0 disconnects it.
  const std::string pruned = pods_[1].node;
  uint64_t disconnects = seen(0).disconnects;
  start = Clock::now();
  unlisted = discovery_->unlist(pods_[1].listed.name);
  ASSERT_TRUE(unlisted) << unlisted.error();
  ASSERT_TRUE(eventually(
      [&] {
        View v = seen(0);
        return !v.json.empty() && v.desired.empty() && v.disconnects == disconnects + 1;
      },
      10s))
      << views(survivors);
  report("unlisted alive to disconnected (s)", seconds_since(start));
  EXPECT_EQ(
      count_of(pods_[0].process->output(), "disconnecting " + pruned + ": no longer discovered"),
      1u);
  // Pod 1's own discovery still lists pod 0, and it may dial back.
  EXPECT_EQ(seen(1).desired, Strings{pods_[0].node}) << views(survivors);
  bool back = eventually([&] { return seen(0).peers == Strings{pruned}; }, 3s);
  report("unlisted pod reconnected from its own side",
         back ? "yes, " + seconds_since(start) + " s after unlisting" : "no");
  EXPECT_EQ(seen(0).disconnects, disconnects + 1) << "pod 0 disconnects it once, not again";
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PodsTest,
    ::testing::Values(Scenario{"ApiIpEndpointSlices", Source::api, "ip", "endpointslices", true},
                      Scenario{"ApiDnsPods", Source::api, "dns", "pods", false},
                      Scenario{"ApiHostnameEndpoints", Source::api, "hostname", "endpoints", true},
                      Scenario{"DnsARecords", Source::dns, "ip", "", false},
                      Scenario{"DnsSrvHostnames", Source::dnssrv, "hostname", "", false}),
    [](const ::testing::TestParamInfo<Scenario>& param) { return param.param.label; });

}  // namespace
}  // namespace beamlink
