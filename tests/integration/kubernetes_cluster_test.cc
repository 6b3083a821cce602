// The kubernetes strategy in real `beamlink node --config` processes,
// against the stand-in API server (support/fake_kube_api.h): each node is
// base@127.0.0.x, the stand-in lists those addresses as pods of a service,
// and the nodes find each other through it, as pods do through the API.
// Nodes run without EPMD on one shared distribution port (as pods often
// do), each on its own loopback address; their /status (health endpoint)
// says whom they see. Every process is started and stopped by the test.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/support/child_process.h"
#include "integration/support/fake_kube_api.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::FakeKubeApi;
using Peers = std::set<std::string>;

const std::string kCli = BEAMLINK_CLI_PATH;

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// /status of a node's health endpoint, parsed; nullopt if it does not answer.
std::optional<nlohmann::json> status_of(uint16_t port) {
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    std::string request = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string answer;
    std::error_code ec;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    size_t body = answer.find("\r\n\r\n");
    if (body == std::string::npos) return std::nullopt;
    auto json = nlohmann::json::parse(answer.substr(body + 4), nullptr, false);
    if (json.is_discarded()) return std::nullopt;
    return json;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct Node {
  std::string name;
  std::string ip;
  uint16_t health_port = 0;
  std::optional<ChildProcess> process;

  Peers peers() const {
    auto status = status_of(health_port);
    Peers out;
    if (status && status->contains("peers")) {
      for (const auto& p : (*status)["peers"]) out.insert(p.get<std::string>());
    }
    return out;
  }
  Peers desired() const {
    auto status = status_of(health_port);
    Peers out;
    if (status && !(*status)["topologies"].empty()) {
      for (const auto& p : (*status)["topologies"][0]["desired"]) out.insert(p.get<std::string>());
    }
    return out;
  }
};

struct Options {
  std::string lookup = "endpoints";
  bool watch = false;
  int polling_ms = 200;
  std::string selector_app;  // "" = the cluster's app label
};

class KubernetesClusterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    base_ = testing::unique_node_name("k8s");
    dir_ = std::filesystem::temp_directory_path() / ("beamlink-k8s-cluster-" + base_);
    std::filesystem::create_directories(dir_ / "sa");
    auto certs = testing::make_test_certificates(dir_.string());
    ASSERT_TRUE(certs) << certs.error();
    std::filesystem::copy_file(certs->ca_file, dir_ / "sa" / "ca.crt");
    write("sa/token", "token-1\n");
    write("sa/namespace", "shop\n");
    auto api = FakeKubeApi::start(*certs, "token-1");
    ASSERT_TRUE(api) << api.error();
    api_ = std::move(*api);
    testing::FakeService service{"shop", base_, {{"app", base_}}, {{"app", base_}}};
    api_->put_service(service);
    dist_port_ = testing::free_port();
  }

  void TearDown() override {
    for (auto& node : nodes_) {
      if (::testing::Test::HasFailure()) {
        std::cerr << "---- " << node->name << " ----\n" << node->process->output() << "\n";
      }
      node->process->stop(SIGTERM, 5s);
    }
    nodes_.clear();
    api_.reset();
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  std::string name_at(const std::string& ip) const { return base_ + "@" + ip; }

  void add_pod(const std::string& ip) {
    testing::FakePod pod;
    pod.ns = "shop";
    pod.name = base_ + "-" + ip.substr(ip.rfind('.') + 1);
    pod.labels = {{"app", base_}};
    pod.ip = ip;
    api_->put_pod(pod);
  }
  void remove_pod(const std::string& ip) {
    api_->remove_pod("shop", base_ + "-" + ip.substr(ip.rfind('.') + 1));
  }

  Node& start_node(const std::string& ip, const Options& o) {
    auto node = std::make_unique<Node>();
    node->name = name_at(ip);
    node->ip = ip;
    node->health_port = testing::free_port();
    std::string config = dir_.string() + "/" + ip + ".toml";
    std::ofstream(config) << "[node]\nname = \"" << node->name << "\"\ncookie = \"" << base_
                          << "\"\nepmd = false\npeer_port = " << dist_port_
                          << "\ndist_port = " << dist_port_ << "\nlisten_address = \"" << ip
                          << "\"\nhealth_port = " << node->health_port
                          << "\nlog_level = \"info\"\n\n[reconciler]\nbackoff_initial = 50\n"
                             "backoff_max = 500\nresync_interval = 200\n\n"
                             "[topologies.k8s]\nstrategy = \"kubernetes\"\n"
                             "kubernetes_node_basename = \""
                          << base_ << "\"\nkubernetes_selector = \"app="
                          << (o.selector_app.empty() ? base_ : o.selector_app)
                          << "\"\nkubernetes_service_account_path = \"" << (dir_ / "sa").string()
                          << "\"\nkubernetes_ip_lookup_mode = \"" << o.lookup
                          << "\"\npolling_interval = " << o.polling_ms
                          << "\nwatch = " << (o.watch ? "true" : "false") << "\ntimeout = 2000\n";
    auto process = ChildProcess::spawn({kCli, "node", "--config", config},
                                       {{"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                                        {"KUBERNETES_SERVICE_PORT", std::to_string(api_->port())}});
    EXPECT_TRUE(process) << process.error();
    node->process.emplace(std::move(*process));
    Node& ref = *node;
    nodes_.push_back(std::move(node));
    EXPECT_TRUE(testing::eventually([&] { return status_of(ref.health_port).has_value(); }, 15s))
        << ref.process->output();
    return ref;
  }

  bool sees(const Node& node, const Peers& peers, std::chrono::milliseconds limit = 20s) {
    return testing::eventually([&] { return node.peers() == peers; }, limit);
  }

  // Pods and nodes at 127.0.0.2 and 127.0.0.3, connected to each other.
  std::pair<Node&, Node&> form_pair(const Options& options) {
    add_pod("127.0.0.2");
    add_pod("127.0.0.3");
    Node& a = start_node("127.0.0.2", options);
    Node& b = start_node("127.0.0.3", options);
    EXPECT_TRUE(sees(a, {b.name}));
    EXPECT_TRUE(sees(b, {a.name}));
    return {a, b};
  }

  std::string base_;
  std::filesystem::path dir_;
  std::unique_ptr<FakeKubeApi> api_;
  uint16_t dist_port_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// Per lookup mode: two pods form a cluster; a third pod appearing in the
// API is connected, and disconnected when it leaves. The third node itself
// selects nothing, so only the others' discovery connects it.
TEST_P(KubernetesClusterTest, FormsAndFollowsTheApi) {
  Options options;
  options.lookup = GetParam();
  add_pod("127.0.0.2");
  add_pod("127.0.0.3");
  Node& a = start_node("127.0.0.2", options);
  Node& b = start_node("127.0.0.3", options);
  Options lonely = options;
  lonely.selector_app = base_ + "-nobody";
  Node& c = start_node("127.0.0.4", lonely);
  ASSERT_TRUE(sees(a, {b.name}));
  ASSERT_TRUE(sees(b, {a.name}));
  EXPECT_EQ(c.peers(), Peers{});

  add_pod("127.0.0.4");
  EXPECT_TRUE(sees(a, {b.name, c.name}));
  EXPECT_TRUE(sees(b, {a.name, c.name}));
  remove_pod("127.0.0.4");
  EXPECT_TRUE(sees(a, {b.name}));
  EXPECT_TRUE(sees(b, {a.name}));
  EXPECT_TRUE(sees(c, {}));
}

INSTANTIATE_TEST_SUITE_P(LookupModes, KubernetesClusterTest,
                         ::testing::Values("endpoints", "endpointslices", "pods"));

class KubernetesFailureTest : public KubernetesClusterTest {};

// With watch and a 60 s poll, a new pod reaches the desired set through
// the watch stream, well under a second after the API has it.
TEST_F(KubernetesFailureTest, WatchDeliversAChangeInUnderASecond) {
  Options options;
  options.lookup = "endpointslices";
  options.watch = true;
  options.polling_ms = 60000;
  Node& a = form_pair(options).first;
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(testing::eventually([&] { return api_->open_watches() >= 2; }, 10s));
  auto before = std::chrono::steady_clock::now();
  add_pod("127.0.0.5");
  ASSERT_TRUE(testing::eventually([&] { return a.desired().contains(name_at("127.0.0.5")); }, 5s));
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_GE(api_->count_requests("watch=true"), 2u);
}

// 403: the set is kept and the RBAC hint is logged once; the API server
// gone: the set is kept too.
TEST_F(KubernetesFailureTest, ForbiddenAndAnAbsentApiKeepTheMembership) {
  Options options;
  auto pair = form_pair(options);
  Node& a = pair.first;
  Node& b = pair.second;
  ASSERT_FALSE(HasFailure());
  api_->forbid("endpoints");
  size_t lists = api_->count_requests("/endpoints?");
  ASSERT_TRUE(
      testing::eventually([&] { return api_->count_requests("/endpoints?") > lists + 8; }, 10s));
  EXPECT_EQ(a.peers(), Peers{b.name});
  EXPECT_EQ(a.desired(), Peers{b.name});
  const std::string hint =
      "403 Forbidden: the service account needs get/list/watch on endpoints in namespace shop";
  EXPECT_EQ(occurrences(a.process->output(), hint), 1u) << a.process->output();

  api_->stop();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(a.peers(), Peers{b.name});
  EXPECT_EQ(b.peers(), Peers{a.name});
  EXPECT_NE(a.process->output().find("discovery failed"), std::string::npos);
}

// The token file is rewritten (as the kubelet rotates projected tokens)
// and the API accepts only the new one: discovery goes on.
TEST_F(KubernetesFailureTest, FollowsATokenRotation) {
  Options options;
  auto pair = form_pair(options);
  Node& a = pair.first;
  Node& b = pair.second;
  ASSERT_FALSE(HasFailure());
  write("sa/token", "token-2-rotated\n");
  api_->set_token("token-2-rotated");
  add_pod("127.0.0.5");
  EXPECT_TRUE(testing::eventually([&] { return a.desired().contains(name_at("127.0.0.5")); }, 5s));
  EXPECT_TRUE(testing::eventually([&] { return b.desired().contains(name_at("127.0.0.5")); }, 5s));
}

}  // namespace
}  // namespace beamlink
