#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "beamlink/health.h"

namespace beamlink {
namespace {

// A blocking client: connect to 127.0.0.1:port, send `request`, read until
// the server closes (or 5 s pass).
std::string exchange(uint16_t port, const std::string& request, bool send_all = true) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  if (send_all && !request.empty()) {
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  }
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HealthOptions options;
    options.ready = [this] { return ready_.load(); };
    options.status_json = [this] {
      return std::string("{\"ready\":") + (ready_ ? "true" : "false") + ",\"peers\":3}";
    };
    auto server = HealthServer::start(options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }
  std::atomic<bool> ready_{false};
  std::unique_ptr<HealthServer> server_;
};

TEST_F(HealthServerTest, LivenessIsOkWhileRunning) {
  std::string reply = exchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\nok\n")) << reply;
}

TEST_F(HealthServerTest, ReadinessFollowsTheCallback) {
  std::string before = exchange(server_->port(), "GET /readyz HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(before.starts_with("HTTP/1.1 503 ")) << before;
  EXPECT_NE(before.find("{\"ready\":false,\"peers\":3}"), std::string::npos) << before;
  ready_ = true;
  std::string after = exchange(server_->port(), "GET /readyz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(after.starts_with("HTTP/1.1 200 OK")) << after;
  std::string status = exchange(server_->port(), "GET /status HTTP/1.1\r\n\r\n");
  EXPECT_NE(status.find("application/json"), std::string::npos);
  EXPECT_NE(status.find("\"peers\":3"), std::string::npos);
}

TEST_F(HealthServerTest, HeadHasNoBodyAndOthersAreRefused) {
  std::string head = exchange(server_->port(), "HEAD /healthz HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  EXPECT_TRUE(
      exchange(server_->port(), "POST /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405 "));
  EXPECT_TRUE(
      exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(exchange(server_->port(), "garbage\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(exchange(server_->port(), "GET / HTTP/1.1\r\nX: " + std::string(10000, 'a'))
                  .starts_with("HTTP/1.1 431 "));
}

TEST(HealthServerMetrics, ServesMetricsTextInThePrometheusContentType) {
  HealthOptions options;
  std::atomic<int> scrapes{0};
  options.metrics_text = [&] {
    return "# HELP x_total X.\n# TYPE x_total counter\nx_total " + std::to_string(++scrapes) + "\n";
  };
  auto server = HealthServer::start(options);
  ASSERT_TRUE(server) << server.error().message;
  std::string reply = exchange((*server)->port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n"))
      << reply;
  std::string head = exchange((*server)->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
}

TEST_F(HealthServerTest, SilentClientsTimeOutAndOthersAreStillServed) {
  // A client that connects and says nothing must not block the others.
  std::thread silent([&] {
    auto start = std::chrono::steady_clock::now();
    std::string reply = exchange(server_->port(), "", false);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 408 ")) << reply;
    EXPECT_LT(waited, std::chrono::seconds(4));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(
      exchange(server_->port(), "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK"));
  silent.join();
}

TEST(HealthServerStart, BadAddressIsAnError) {
  HealthOptions options;
  options.address = "not-an-ip";
  auto server = HealthServer::start(options);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace beamlink
