// The stand-in Kubernetes API server (support/fake_kube_api.h) against the
// real kubectl, and beamlink's HTTPS client and watch parser against the
// stand-in: TLS verification, 401/403 Status answers, lists filtered by
// namespace and label, watch streams and 410 Expired.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "discovery/http_client.h"
#include "discovery/k8s_objects.h"
#include "integration/support/fake_kube_api.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::FakeKubeApi;
using testing::FakePod;
using testing::FakeService;

const std::string kToken = "stand-in-token-1";

FakePod pod(std::string ns, std::string name, std::string app, std::string ip, bool ready = true,
            std::string hostname = "", std::string subdomain = "") {
  FakePod p;
  p.ns = std::move(ns);
  p.name = std::move(name);
  p.labels = {{"app", std::move(app)}};
  p.ip = std::move(ip);
  p.ready = ready;
  p.hostname = std::move(hostname);
  p.subdomain = std::move(subdomain);
  return p;
}

FakeService service(std::string ns, std::string name) {
  return FakeService{std::move(ns), name, {{"app", name}}, {{"app", name}}};
}

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beamlink-kube-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto certs = testing::make_test_certificates(dir_.string());
    ASSERT_TRUE(certs) << certs.error();
    certs_ = *certs;
    auto api = FakeKubeApi::start(certs_, kToken);
    ASSERT_TRUE(api) << api.error();
    api_ = std::move(*api);
    api_->put_service(service("shop", "cart"));
    api_->put_service(service("shop", "other"));
    api_->put_pod(pod("shop", "cart-0", "cart", "127.0.0.2", true, "cart-0", "cart"));
    api_->put_pod(pod("shop", "cart-1", "cart", "127.0.0.3", false));
    api_->put_pod(pod("shop", "other-0", "other", "127.0.0.9"));
    api_->put_pod(pod("elsewhere", "cart-x", "cart", "127.0.0.8"));
  }
  void TearDown() override {
    api_.reset();
    std::filesystem::remove_all(dir_);
  }

  testing::ProcessResult kubectl(std::vector<std::string> args, const std::string& token) {
    std::vector<std::string> argv = {"env",
                                     "KUBECONFIG=" + (dir_ / "no-kubeconfig").string(),
                                     "HOME=" + dir_.string(),
                                     "kubectl",
                                     "--server",
                                     api_->url(),
                                     "--token",
                                     token,
                                     "--certificate-authority",
                                     certs_.ca_file,
                                     "--cache-dir",
                                     (dir_ / "kube-cache").string(),
                                     "--request-timeout",
                                     "10s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv, "", 60s);
  }

  std::shared_ptr<discovery::HttpClient> client(std::string ca_file) {
    discovery::HttpsOptions options;
    options.host = "127.0.0.1";
    options.port = api_->port();
    options.ca_file = std::move(ca_file);
    options.timeout = 5s;
    auto made = discovery::make_https_client(options);
    EXPECT_TRUE(made) << made.error().to_string();
    return *made;
  }

  std::filesystem::path dir_;
  testing::TestCertificates certs_;
  std::unique_ptr<FakeKubeApi> api_;
};

// kubectl is installed by scripts/install-deps.sh; its absence is a
// failure of the set-up, never a skipped check.
bool have_kubectl() {
  return testing::run_process({"kubectl", "version", "--client"}, "", 20s).exit_code == 0;
}

TEST_F(KubeApiTest, KubectlListsEndpointsAndPodsBySelector) {
  ASSERT_TRUE(have_kubectl()) << "kubectl is not installed (run scripts/install-deps.sh)";
  auto got = kubectl({"get", "endpoints,pods", "-l", "app=cart", "-n", "shop"}, kToken);
  ASSERT_EQ(got.exit_code, 0) << got.out << got.err;
  std::cout << got.out;  // what a person sees
  EXPECT_NE(got.out.find("cart-0"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("cart-1"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("endpoints/cart"), std::string::npos) << got.out;
  EXPECT_EQ(got.out.find("other"), std::string::npos) << got.out;
  EXPECT_EQ(got.out.find("cart-x"), std::string::npos) << got.out;

  auto slices = kubectl({"get", "endpointslices", "-l", "app in (cart)", "-n", "shop", "-o",
                         "jsonpath={.items[*].endpoints[*].addresses[0]}"},
                        kToken);
  ASSERT_EQ(slices.exit_code, 0) << slices.out << slices.err;
  EXPECT_EQ(slices.out, "127.0.0.2 127.0.0.3");
}

TEST_F(KubeApiTest, KubectlReportsAWrongTokenAsUnauthorized) {
  ASSERT_TRUE(have_kubectl()) << "kubectl is not installed (run scripts/install-deps.sh)";
  auto got = kubectl({"get", "pods", "-n", "shop"}, "wrong-token");
  EXPECT_NE(got.exit_code, 0);
  // kubectl 1.20 prints "(Unauthorized)", newer ones "provide credentials"; both begin so.
  EXPECT_NE((got.out + got.err).find("error: You must be logged in to the server"),
            std::string::npos)
      << got.out << got.err;
}

TEST_F(KubeApiTest, ClientListsAndParsesWhatTheStandInServes) {
  auto https = client(certs_.ca_file);
  discovery::HttpHeaders auth{{"Authorization", "Bearer " + kToken}};
  auto listed = https->request(
      "GET", "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=app%3Dcart",
      auth);
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->status, 200) << listed->body;
  auto list = discovery::k8s::parse_list(discovery::k8s::Resource::endpoint_slices, listed->body);
  ASSERT_TRUE(list) << list.error().to_string();
  ASSERT_EQ(list->items.size(), 1u);
  ASSERT_EQ(list->items[0].addresses.size(), 2u);
  EXPECT_EQ(list->items[0].addresses[0].hostname, "cart-0");
  EXPECT_FALSE(list->items[0].addresses[1].ready);

  auto pods = https->request("GET", "/api/v1/namespaces/shop/pods?labelSelector=app%3Dcart", auth);
  ASSERT_TRUE(pods);
  auto pod_list = discovery::k8s::parse_list(discovery::k8s::Resource::pods, pods->body);
  ASSERT_TRUE(pod_list) << pod_list.error().to_string();
  EXPECT_EQ(pod_list->items.size(), 2u);

  auto anonymous = https->request("GET", "/api/v1/namespaces/shop/pods", {});
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  api_->forbid("pods");
  auto forbidden = https->request("GET", "/api/v1/namespaces/shop/pods", auth);
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
  auto status = discovery::k8s::parse_status(forbidden->body);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->reason, "Forbidden");
  EXPECT_NE(status->message.find("cannot list resource \"pods\""), std::string::npos);
}

TEST_F(KubeApiTest, ClientRefusesAServerItCannotVerify) {
  // The system's CAs do not know the test CA.
  auto untrusted = client("")->request("GET", "/version", {});
  ASSERT_FALSE(untrusted);
  EXPECT_NE(untrusted.error().message.find("TLS handshake"), std::string::npos)
      << untrusted.error().message;
  // The right CA, but the certificate is not for this name.
  discovery::HttpsOptions options;
  options.host = "localhost.localdomain";
  options.port = api_->port();
  options.ca_file = certs_.ca_file;
  auto wrong_name = discovery::make_https_client(options);
  ASSERT_TRUE(wrong_name);
  auto answer = (*wrong_name)->request("GET", "/version", {});
  // Whether or not the name resolves here, the exchange must fail: either
  // at resolution or because the certificate does not name this host.
  ASSERT_FALSE(answer) << "a certificate for 127.0.0.1/localhost accepted for " << options.host;
  EXPECT_TRUE(answer.error().message.find("TLS handshake") != std::string::npos ||
              answer.error().message.find("resolving") != std::string::npos)
      << answer.error().message;
}

TEST_F(KubeApiTest, WatchStreamsChangesBookmarksAndExpiry) {
  auto https = client(certs_.ca_file);
  discovery::HttpHeaders auth{{"Authorization", "Bearer " + kToken}};
  auto listed =
      https->request("GET", "/api/v1/namespaces/shop/endpoints?labelSelector=app%3Dcart", auth);
  ASSERT_TRUE(listed);
  auto list = discovery::k8s::parse_list(discovery::k8s::Resource::endpoints, listed->body);
  ASSERT_TRUE(list);
  std::vector<discovery::k8s::WatchEvent> events;
  std::thread changer([&] {
    std::this_thread::sleep_for(300ms);
    api_->remove_pod("shop", "cart-0");
  });
  auto streamed = https->stream(
      "/api/v1/namespaces/shop/endpoints?labelSelector=app%3Dcart&watch=true&resourceVersion=" +
          list->resource_version + "&allowWatchBookmarks=true&timeoutSeconds=2",
      auth, [&](std::string_view line) {
        auto event = discovery::k8s::parse_watch_event(discovery::k8s::Resource::endpoints, line);
        EXPECT_TRUE(event) << line;
        if (event) events.push_back(*event);
        return true;
      });
  changer.join();
  ASSERT_TRUE(streamed) << streamed.error().to_string();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, discovery::k8s::WatchType::modified);
  ASSERT_EQ(events[0].object.addresses.size(), 1u);
  EXPECT_EQ(events[0].object.addresses[0].ip, "127.0.0.3");
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& e) {
    return e.type == discovery::k8s::WatchType::bookmark;
  }));

  api_->compact();
  std::vector<discovery::k8s::WatchEvent> expired;
  auto again = https->stream(
      "/api/v1/namespaces/shop/endpoints?labelSelector=app%3Dcart&watch=true&resourceVersion=" +
          list->resource_version,
      auth, [&](std::string_view line) {
        auto event = discovery::k8s::parse_watch_event(discovery::k8s::Resource::endpoints, line);
        if (event) expired.push_back(*event);
        return true;
      });
  ASSERT_TRUE(again) << again.error().to_string();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].type, discovery::k8s::WatchType::error);
  EXPECT_EQ(expired[0].status.code, 410);
}

TEST_F(KubeApiTest, CancelEndsAStreamAtOnce) {
  auto https = client(certs_.ca_file);
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    https->cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto streamed =
      https->stream("/api/v1/namespaces/shop/pods?watch=true&timeoutSeconds=30",
                    {{"Authorization", "Bearer " + kToken}}, [](std::string_view) { return true; });
  canceller.join();
  EXPECT_FALSE(streamed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace beamlink
