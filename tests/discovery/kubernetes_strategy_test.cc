// The kubernetes strategy against a scripted API server (a fake HttpClient
// answering with fixtures shaped like real API objects) and a fake host.
#include "discovery/kubernetes_strategy.h"

#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string>;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BEAMLINK_SOURCE_DIR) + "/tests/discovery/fixtures/k8s/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

HttpResponse answer(int status, std::string body) {
  return HttpResponse{status, status == 200 ? "OK" : "Error", {}, std::move(body)};
}

// Lists answer `list_answer`; a watch stream delivers queued lines until
// end_stream() or cancel().
class FakeApiServer final : public HttpClient {
 public:
  Result<HttpResponse> request(std::string_view, std::string_view target,
                               const HttpHeaders& headers) override {
    std::lock_guard lock(mutex_);
    lists.emplace_back(target);
    last_headers = headers;
    return list_answer;
  }

  Result<HttpResponse> stream(std::string_view target, const HttpHeaders&,
                              const std::function<bool(std::string_view)>& on_line) override {
    std::unique_lock lock(mutex_);
    watches.emplace_back(target);
    for (;;) {
      wake_.wait(lock, [&] { return cancelled_ || end_ || !lines_.empty(); });
      if (cancelled_) return fail(Errc::closed, "cancelled");
      if (!lines_.empty()) {
        std::string line = std::move(lines_.front());
        lines_.pop_front();
        lock.unlock();
        bool more = on_line(line);
        lock.lock();
        if (!more) return answer(200, "");
        continue;
      }
      end_ = false;
      return answer(200, "");
    }
  }

  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    wake_.notify_all();
  }

  void set_list(Result<HttpResponse> response) {
    std::lock_guard lock(mutex_);
    list_answer = std::move(response);
  }
  void send(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
    wake_.notify_all();
  }
  size_t list_count() {
    std::lock_guard lock(mutex_);
    return lists.size();
  }
  size_t watch_count() {
    std::lock_guard lock(mutex_);
    return watches.size();
  }

  std::vector<std::string> lists;
  std::vector<std::string> watches;
  HttpHeaders last_headers;
  Result<HttpResponse> list_answer = answer(200, "");

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> lines_;
  bool end_ = false;
  bool cancelled_ = false;
};

class FakeHost final : public StrategyHost {
 public:
  asio::io_context& io() override { return io_; }
  const std::string& self() const override { return self_; }
  uint16_t epmd_port() const override { return 0; }
  void publish(std::vector<std::string> nodes) override { published.push_back(std::move(nodes)); }
  void discovery_failed(const Error& error) override { failures.push_back(error.to_string()); }
  void discovery_failed_again(const Error& error) override {
    repeated_failures.push_back(error.to_string());
  }
  void dropped(std::string_view why) override { drops.emplace_back(why); }
  void log(LogLevel, std::string_view message) override { logs.emplace_back(message); }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    asio::post(io_, std::move(done));
  }

  // Runs the strategy thread until `done` or 5 s.
  bool run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  }
  Names last() const { return published.empty() ? Names{} : published.back(); }

  std::vector<Names> published;
  std::vector<std::string> failures;
  std::vector<std::string> repeated_failures;  // counted, not logged
  std::vector<std::string> drops;
  std::vector<std::string> logs;

 private:
  asio::io_context io_;
  std::string self_ = "myapp@10.244.1.17";
};

class KubernetesStrategyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beamlink-k8s-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    write("token", "token-1\n");
    write("namespace", "prod");
  }
  void TearDown() override {
    if (strategy_) strategy_->stop();
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  TopologySpec spec(StrategyOptions extra = {}) {
    StrategyOptions options{{"kubernetes_node_basename", std::string("myapp")},
                            {"kubernetes_selector", std::string("app=myapp")},
                            {"kubernetes_service_account_path", dir_.string()},
                            {"polling_interval", int64_t{40}}};
    for (auto& [k, v] : extra) options[k] = v;
    return TopologySpec{"k8s", "kubernetes", std::move(options)};
  }

  Result<KubernetesSettings> settings(StrategyOptions extra = {},
                                      std::map<std::string, std::string> env = {}) {
    return read_kubernetes_settings(spec(std::move(extra)),
                                    [env](std::string_view n) -> std::optional<std::string> {
                                      auto it = env.find(std::string(n));
                                      if (it == env.end()) return std::nullopt;
                                      return it->second;
                                    });
  }

  Result<void> start(StrategyOptions extra = {}) {
    auto s = settings(std::move(extra), {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                         {"KUBERNETES_SERVICE_PORT", "443"}});
    if (!s) return std::unexpected(s.error());
    strategy_ = build_kubernetes_strategy(*s, [this](const HttpsOptions& o) {
      http_options_ = o;
      return Result<std::shared_ptr<HttpClient>>(api_);
    });
    return strategy_->start(host_);
  }

  std::filesystem::path dir_;
  std::shared_ptr<FakeApiServer> api_ = std::make_shared<FakeApiServer>();
  FakeHost host_;
  std::unique_ptr<Strategy> strategy_;
  HttpsOptions http_options_;
};

TEST_F(KubernetesStrategyTest, PublishesReadyEndpointsAsIpNames) {
  api_->set_list(answer(200, fixture("endpoints_list.json")));
  ASSERT_TRUE(start());
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  EXPECT_EQ(host_.last(), (Names{"myapp@10.244.1.17", "myapp@10.244.2.9"}));
  EXPECT_EQ(api_->lists[0], "/api/v1/namespaces/prod/endpoints?labelSelector=app%3Dmyapp");
  EXPECT_NE(std::find(api_->last_headers.begin(), api_->last_headers.end(),
                      std::pair<std::string, std::string>{"Authorization", "Bearer token-1"}),
            api_->last_headers.end());
  EXPECT_EQ(http_options_.host, "10.96.0.1");
  EXPECT_EQ(http_options_.ca_file, "");  // no ca.crt: the system's CAs
  EXPECT_TRUE(host_.failures.empty());
}

TEST_F(KubernetesStrategyTest, EndpointSlicesInDnsModeWithNotReady) {
  api_->set_list(answer(200, fixture("endpointslice_list.json")));
  ASSERT_TRUE(start({{"kubernetes_ip_lookup_mode", std::string("endpointslices")},
                     {"mode", std::string("dns")},
                     {"include_not_ready", true}}));
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  EXPECT_EQ(host_.last(), (Names{"myapp@10-244-1-17.prod.pod.cluster.local",
                                 "myapp@10-244-2-9.prod.pod.cluster.local",
                                 "myapp@10-244-3-4.prod.pod.cluster.local",
                                 "myapp@fd00-10-244-1--11.prod.pod.cluster.local"}));
  EXPECT_EQ(api_->lists[0],
            "/apis/discovery.k8s.io/v1/namespaces/prod/endpointslices?labelSelector=app%3Dmyapp");
  ASSERT_EQ(host_.drops.size(), 1u);  // the FQDN slice
}

TEST_F(KubernetesStrategyTest, PodsInHostnameMode) {
  api_->set_list(answer(200, fixture("pod_list.json")));
  ASSERT_TRUE(start({{"kubernetes_ip_lookup_mode", std::string("pods")},
                     {"mode", std::string("hostname")},
                     {"kubernetes_service_name", std::string("myapp")},
                     {"kubernetes_use_cached_resources", true}}));
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  EXPECT_EQ(host_.last(), (Names{"myapp@myapp-0.myapp.prod.svc.cluster.local"}));
  EXPECT_EQ(api_->lists[0],
            "/api/v1/namespaces/prod/pods?labelSelector=app%3Dmyapp&resourceVersion=0");
}

TEST_F(KubernetesStrategyTest, ForbiddenIsReportedOnceWithTheRbacRuleAndKeepsTheSet) {
  api_->set_list(answer(200, fixture("endpointslice_list.json")));
  ASSERT_TRUE(start({{"kubernetes_ip_lookup_mode", std::string("endpointslices")}}));
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  Names formed = host_.last();
  size_t publishes = host_.published.size();

  api_->set_list(answer(403, fixture("status_forbidden.json")));
  size_t lists = api_->list_count();
  // Four polls answered 403, and the strategy has reported the last of
  // them (the API counts a request before the strategy has read its answer).
  ASSERT_TRUE(host_.run_until(
      [&] { return api_->list_count() >= lists + 4 && host_.repeated_failures.size() >= 3; }));
  ASSERT_EQ(host_.failures.size(), 1u);           // logged once
  EXPECT_GE(host_.repeated_failures.size(), 3u);  // every later poll still counted
  EXPECT_NE(host_.failures[0].find("403 Forbidden: the service account needs get/list/watch on "
                                   "endpointslices.discovery.k8s.io in namespace prod"),
            std::string::npos)
      << host_.failures[0];
  EXPECT_NE(host_.failures[0].find("cannot list resource"), std::string::npos);
  EXPECT_EQ(host_.published.size(), publishes);  // nothing published: the set is kept

  api_->set_list(answer(200, fixture("endpointslice_list.json")));
  ASSERT_TRUE(host_.run_until([&] { return host_.published.size() > publishes; }));
  EXPECT_EQ(host_.last(), formed);
  api_->set_list(answer(403, fixture("status_forbidden.json")));
  ASSERT_TRUE(host_.run_until([&] { return host_.failures.size() == 2; }));
}

TEST_F(KubernetesStrategyTest, UnauthorizedNamesTheTokenFile) {
  api_->set_list(answer(401, R"({"kind":"Status","apiVersion":"v1","metadata":{},
    "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
  ASSERT_TRUE(start());
  ASSERT_TRUE(host_.run_until([&] { return !host_.failures.empty(); }));
  EXPECT_NE(host_.failures[0].find("401 Unauthorized"), std::string::npos);
  EXPECT_NE(host_.failures[0].find((dir_ / "token").string()), std::string::npos);
  EXPECT_TRUE(host_.published.empty());
}

TEST_F(KubernetesStrategyTest, BadAnswersAreDiscoveryErrors) {
  api_->set_list(answer(200, fixture("endpoints_list.json")));
  ASSERT_TRUE(start());
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  size_t publishes = host_.published.size();
  api_->set_list(answer(200, "{\"kind\":\"EndpointsList\",\"items\":[}"));
  ASSERT_TRUE(host_.run_until([&] { return !host_.failures.empty(); }));
  EXPECT_NE(host_.failures[0].find("not valid JSON"), std::string::npos) << host_.failures[0];
  api_->set_list(answer(503, "upstream connect error"));
  ASSERT_TRUE(host_.run_until([&] { return host_.failures.size() >= 3; }));
  EXPECT_NE(host_.failures.back().find("answered 503"), std::string::npos) << host_.failures.back();
  api_->set_list(fail(Errc::timeout, "no answer within 15000 ms"));
  ASSERT_TRUE(
      host_.run_until([&] { return host_.failures.back().find("15000") != std::string::npos; }));
  EXPECT_EQ(host_.published.size(), publishes);
}

TEST_F(KubernetesStrategyTest, ReadsTheTokenAgainWhenItRotates) {
  api_->set_list(answer(200, fixture("endpoints_list.json")));
  ASSERT_TRUE(start());
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  write("token", "token-2-longer\n");
  ASSERT_TRUE(host_.run_until([&] {
    return std::find(api_->last_headers.begin(), api_->last_headers.end(),
                     std::pair<std::string, std::string>{
                         "Authorization", "Bearer token-2-longer"}) != api_->last_headers.end();
  }));
}

TEST_F(KubernetesStrategyTest, NamespaceComesFromTheServiceAccount) {
  write("namespace", "staging\n");
  write("ca.crt", "-----BEGIN CERTIFICATE-----\n");
  api_->set_list(answer(200, R"({"kind":"EndpointsList","apiVersion":"v1","items":[]})"));
  ASSERT_TRUE(start());
  ASSERT_TRUE(host_.run_until([&] { return !host_.published.empty(); }));
  EXPECT_EQ(api_->lists[0], "/api/v1/namespaces/staging/endpoints?labelSelector=app%3Dmyapp");
  EXPECT_EQ(http_options_.ca_file, (dir_ / "ca.crt").string());
  EXPECT_TRUE(host_.last().empty());

  strategy_->stop();
  std::filesystem::remove(dir_ / "namespace");
  auto missing = start();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("kubernetes_namespace is not set"), std::string::npos);
}

TEST_F(KubernetesStrategyTest, WatchAppliesEventsAndListsAgainOn410) {
  api_->set_list(answer(200, fixture("endpointslice_list.json")));
  ASSERT_TRUE(start({{"kubernetes_ip_lookup_mode", std::string("endpointslices")},
                     {"watch", true},
                     {"polling_interval", int64_t{60000}}}));
  ASSERT_TRUE(host_.run_until([&] { return api_->watch_count() == 1; }));
  EXPECT_NE(api_->watches[0].find("&watch=true&resourceVersion=51877&allowWatchBookmarks=true"),
            std::string::npos)
      << api_->watches[0];
  EXPECT_EQ(host_.last(),
            (Names{"myapp@10.244.1.17", "myapp@10.244.3.4", "myapp@fd00:10:244:1::11"}));

  std::istringstream events(fixture("watch_endpointslices.jsonl"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(events, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  api_->send(lines[1]);  // MODIFIED: myapp-1 ready
  ASSERT_TRUE(host_.run_until([&] {
    auto last = host_.last();
    return std::find(last.begin(), last.end(), "myapp@10.244.2.9") != last.end();
  }));
  api_->send(lines[2]);  // BOOKMARK
  api_->send(lines[3]);  // DELETED: the IPv4 slice is gone
  ASSERT_TRUE(host_.run_until([&] { return host_.last() == Names{"myapp@fd00:10:244:1::11"}; }));
  size_t lists = api_->list_count();
  api_->send(lines[4]);  // ERROR 410: list again, then watch from the new version
  ASSERT_TRUE(
      host_.run_until([&] { return api_->list_count() > lists && api_->watch_count() == 2; }));
  EXPECT_EQ(host_.last(),
            (Names{"myapp@10.244.1.17", "myapp@10.244.3.4", "myapp@fd00:10:244:1::11"}));
  EXPECT_TRUE(host_.failures.empty());
}

TEST_F(KubernetesStrategyTest, DefaultsAndEnvironment) {
  auto in_cluster =
      settings({}, {{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}});
  ASSERT_TRUE(in_cluster) << in_cluster.error().to_string();
  EXPECT_EQ(in_cluster->api_host, "fd00::1");
  EXPECT_EQ(in_cluster->api_port, 6443);
  EXPECT_EQ(in_cluster->lookup, k8s::Resource::endpoints);
  EXPECT_EQ(in_cluster->mode, k8s::NamingMode::ip);
  EXPECT_EQ(in_cluster->polling_interval, 40ms);
  EXPECT_EQ(in_cluster->timeout, 15000ms);
  EXPECT_FALSE(in_cluster->watch);

  auto outside = settings();
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->api_host, "kubernetes.default.svc.cluster.local");  // libcluster's rule
  EXPECT_EQ(outside->api_port, 443);
  EXPECT_EQ(outside->cluster_domain, "cluster.local");
  EXPECT_EQ(outside->service_account_path, dir_.string());

  auto named = settings({{"kubernetes_cluster_name", std::string("prod")}});
  EXPECT_EQ(named->cluster_domain, "prod.local");
  auto from_env = settings({}, {{"CLUSTER_DOMAIN", "k8s.example.org"}});
  EXPECT_EQ(from_env->cluster_domain, "k8s.example.org");
  auto option = settings({{"cluster_domain", std::string("c.example")}},
                         {{"CLUSTER_DOMAIN", "k8s.example.org"}});
  EXPECT_EQ(option->cluster_domain, "c.example");

  auto master = settings({{"kubernetes_master", std::string("https://api.example.org.:6443")}},
                         {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}});
  ASSERT_TRUE(master);
  EXPECT_EQ(master->api_host, "api.example.org");
  EXPECT_EQ(master->api_port, 6443);
  auto ip_master = settings({{"kubernetes_master", std::string("[fd00::1]:8443")}});
  EXPECT_EQ(ip_master->api_host, "fd00::1");
  EXPECT_EQ(ip_master->api_port, 8443);
}

TEST_F(KubernetesStrategyTest, RefusesBadOptions) {
  auto error_of = [&](StrategyOptions extra, std::map<std::string, std::string> env = {}) {
    auto s = settings(std::move(extra), std::move(env));
    return s ? std::string() : s.error().message;
  };
  auto spec_without = [&](const std::string& key) {
    auto s = spec();
    s.options.erase(key);
    return read_kubernetes_settings(s, [](std::string_view) { return std::nullopt; });
  };
  EXPECT_NE(spec_without("kubernetes_node_basename")
                .error()
                .message.find("kubernetes_node_basename is required"),
            std::string::npos);
  EXPECT_NE(
      spec_without("kubernetes_selector").error().message.find("kubernetes_selector is required"),
      std::string::npos);
  EXPECT_NE(
      error_of({{"kubernetes_ip_lookup_mode", std::string("services")}}).find("endpointslices"),
      std::string::npos);
  EXPECT_NE(error_of({{"mode", std::string("fqdn")}}).find("ip, dns or hostname"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"mode", std::string("hostname")}}).find("kubernetes_service_name is required"),
      std::string::npos);
  EXPECT_NE(error_of({{"kubernetes_namespace", std::string("Prod")}}).find("not a namespace"),
            std::string::npos);
  EXPECT_NE(error_of({{"watch", std::string("yes")}}).find("true or false"), std::string::npos);
  EXPECT_NE(error_of({{"kubernetes_selector", std::string("")}}).find("must not be empty"),
            std::string::npos);
  EXPECT_NE(
      error_of({}, {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "https"}})
          .find("KUBERNETES_SERVICE_PORT"),
      std::string::npos);
  EXPECT_NE(error_of({{"kubernetes_masterr", std::string("x")}}).find("unknown option"),
            std::string::npos);
  EXPECT_NE(error_of({{"cluster_domain", std::string("bad_domain")}}).find("not a DNS name"),
            std::string::npos);
}

TEST_F(KubernetesStrategyTest, IsInTheStrategyTable) {
  auto made = make_kubernetes_strategy(spec());
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_TRUE((*made)->prunes());
  EXPECT_TRUE(Cluster::validate({spec()}));
}

}  // namespace
}  // namespace beamlink::discovery
