// The daemon in-process on 127.0.0.1 with an ephemeral port, driven by the
// beamlink client and by raw sockets that misbehave.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <mutex>
#include <thread>

#include "beamlink/epmd.h"
#include "epmd/epmd_messages.h"

namespace beamlink::epmd {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// A blocking socket with a receive timeout, for speaking bytes directly.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval timeout{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  void send(const Bytes& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void send_slowly(const Bytes& bytes) {
    for (uint8_t byte : bytes) {
      asio::write(socket_, asio::buffer(&byte, 1));
      std::this_thread::sleep_for(2ms);
    }
  }
  // Everything until the server closes; error text if the read failed.
  Bytes receive_all(asio::error_code* last_error = nullptr) {
    Bytes out;
    std::array<uint8_t, 1024> buffer;
    for (;;) {
      asio::error_code error;
      size_t count = socket_.read_some(asio::buffer(buffer), error);
      out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<long>(count));
      if (error) {
        if (last_error) *last_error = error;
        return out;
      }
    }
  }
  Bytes receive_exactly(size_t count) {
    Bytes out(count);
    asio::read(socket_, asio::buffer(out));
    return out;
  }
  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

class EpmdServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { server_.reset(); }  // its logger uses log_

  void start(ServerLimits limits, bool relaxed = false) {
    server_.reset();
    ServerOptions options;
    options.addresses = {"127.0.0.1"};
    options.port = 0;
    options.limits = limits;
    options.relaxed_command_check = relaxed;
    options.logger = [this](LogLevel, std::string_view, std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    auto started = Server::start(options);
    ASSERT_TRUE(started) << started.error().to_string();
    server_ = std::move(*started);
    client_.port = server_->port();
    client_.timeout = 3s;
  }

  bool logged(std::string_view needle) {
    std::lock_guard lock(log_mutex_);
    for (const auto& line : log_) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // Polls names() until `predicate` holds, for at most 5 s.
  template <class Predicate>
  bool eventually(Predicate predicate) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline;) {
      if (predicate()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  static NodeInfo node_named(std::string name, uint16_t port) {
    NodeInfo node;
    node.name = std::move(name);
    node.port = port;
    return node;
  }

  std::unique_ptr<Server> server_;
  ClientOptions client_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(EpmdServerTest, RegisterPortPleaseNamesAndRelease) {
  NodeInfo node = node_named("alpha", 40001);
  node.extra = "xyz";
  auto registration = register_node(client_, node);
  ASSERT_TRUE(registration) << registration.error().to_string();
  EXPECT_GE(registration->creation(), 4u);
  EXPECT_TRUE(registration->connection_alive());

  auto found = port_please(client_, "alpha");
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(*found, node);

  auto reply = names_reply(client_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->epmd_port, server_->port());
  EXPECT_EQ(reply->to_epmd_text(), "epmd: up and running on port " +
                                       std::to_string(server_->port()) +
                                       " with data:\nname alpha at port 40001\n");
  ASSERT_EQ(server_->registered().size(), 1u);
  EXPECT_EQ(server_->registered()[0].creation, registration->creation());

  registration->close();
  EXPECT_TRUE(eventually([&] { return names(client_)->empty(); }));
  EXPECT_EQ(port_please(client_, "alpha").error().code, Errc::not_found);
  EXPECT_TRUE(logged("unregistered 'alpha'"));
}

TEST_F(EpmdServerTest, DuplicateNameRefusedAndCreationsIncrease) {
  auto first = register_node(client_, node_named("dup", 1));
  ASSERT_TRUE(first);
  auto second = register_node(client_, node_named("dup", 2));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::refused);
  auto other = register_node(client_, node_named("other", 3));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->creation(), first->creation() + 1);
}

TEST_F(EpmdServerTest, MovedRegistrationStaysRegistered) {
  Registration kept;
  {
    auto registration = register_node(client_, node_named("moved", 1));
    ASSERT_TRUE(registration);
    kept = std::move(*registration);
  }
  EXPECT_TRUE(port_please(client_, "moved"));
  kept = Registration();
  EXPECT_TRUE(eventually([&] { return names(client_)->empty(); }));
}

TEST_F(EpmdServerTest, RequestsWrittenOneByteAtATime) {
  RawClient registrar(server_->port());
  registrar.send_slowly(*encode_alive2_request(node_named("slow", 777)));
  Bytes answer = registrar.receive_exactly(6);
  EXPECT_EQ(answer[0], 118);
  EXPECT_EQ(answer[1], 0);

  RawClient asker(server_->port());
  asker.send_slowly(*encode_port_please2_request("slow"));
  auto node = parse_port2_response(asker.receive_all());
  ASSERT_TRUE(node) << node.error().to_string();
  EXPECT_EQ(node->port, 777);
}

TEST_F(EpmdServerTest, GarbageAndOversizeCloseOnlyThatConnection) {
  auto registration = register_node(client_, node_named("survivor", 5));
  ASSERT_TRUE(registration);
  const std::vector<Bytes> garbage{
      {0xff, 0xff, 1, 2, 3},  // declared length over the limit
      {0, 0},                 // zero length
      {0, 3, 42, 1, 2},       // unknown request
      {0, 2, 120, 0},         // truncated ALIVE2_REQ
      {0, 1, 122},            // PORT_PLEASE2 without a name
  };
  for (const auto& packet : garbage) {
    RawClient bad(server_->port());
    bad.send(packet);
    EXPECT_TRUE(bad.receive_all().empty());
  }
  EXPECT_TRUE(logged("EPMD request of 65535 bytes, limit"));
  EXPECT_TRUE(logged("unknown request code 42"));
  EXPECT_TRUE(logged("EPMD request with length 0"));
  auto listed = names(client_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, (std::vector<NameEntry>{{"survivor", 5}}));
  EXPECT_TRUE(registration->connection_alive());
}

TEST_F(EpmdServerTest, StalledClientDoesNotBlockOthersAndTimesOut) {
  ServerLimits limits;
  limits.request_timeout = 1s;
  start(limits);
  RawClient stalled(server_->port());
  stalled.send(Bytes{0, 5, 122});  // promises 5 bytes, sends 1
  const auto begin = std::chrono::steady_clock::now();
  ASSERT_TRUE(names(client_));
  // Served while the stalled request still holds its connection.
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 900ms);
  EXPECT_TRUE(stalled.receive_all().empty());  // then closed by the server's watchdog
  // The watchdog closes the socket before the log line is written.
  EXPECT_TRUE(eventually([&] { return logged("no whole request within 1000 ms"); }));
}

TEST_F(EpmdServerTest, ConnectionLimit) {
  ServerLimits limits;
  limits.max_connections = 2;
  start(limits);
  auto idle1 = std::make_unique<RawClient>(server_->port());
  auto idle2 = std::make_unique<RawClient>(server_->port());
  EXPECT_FALSE(names(client_));  // the third connection is closed at once
  EXPECT_TRUE(logged("too many connections"));
  idle1.reset();
  EXPECT_TRUE(eventually([&] { return names(client_).has_value(); }));
}

TEST_F(EpmdServerTest, KillStopsServerWhenNoNodes) {
  auto registration = register_node(client_, node_named("live", 1));
  ASSERT_TRUE(registration);
  auto refused = kill(client_);
  ASSERT_TRUE(refused) << refused.error().to_string();
  EXPECT_FALSE(*refused);
  registration->close();
  ASSERT_TRUE(eventually([&] { return server_->registered().empty(); }));
  auto killed = kill(client_);
  ASSERT_TRUE(killed) << killed.error().to_string();
  EXPECT_TRUE(*killed);
  EXPECT_TRUE(server_->wait_for(5s));
  EXPECT_EQ(names(client_).error().code, Errc::io);
}

TEST_F(EpmdServerTest, StopRequestWithRelaxedCheckEndsTheRegistration) {
  start({}, true);
  auto registration = register_node(client_, node_named("victim", 1));
  ASSERT_TRUE(registration);
  RawClient control(server_->port());
  control.send(*encode_stop_request("victim"));
  Bytes answer = control.receive_all();
  EXPECT_EQ(std::string(answer.begin(), answer.end()), "STOPPED");
  EXPECT_TRUE(eventually([&] { return !registration->connection_alive(); }));
}

TEST_F(EpmdServerTest, StopClosesRegistrations) {
  auto registration = register_node(client_, node_named("held", 1));
  ASSERT_TRUE(registration);
  server_->stop();
  EXPECT_TRUE(server_->wait_for(5s));
  EXPECT_TRUE(eventually([&] { return !registration->connection_alive(); }));
}

TEST_F(EpmdServerTest, ClientResolvesHostNames) {
  client_.host = "localhost";  // may resolve to ::1 first; the client tries each address
  auto listed = names(client_);
  ASSERT_TRUE(listed) << listed.error().to_string();
}

TEST(EpmdServerIpv6, ServesOnLoopbackV6) {
  ServerOptions options;
  options.addresses = {"::1"};
  options.port = 0;
  auto server = Server::start(options);
  // IPv6 loopback is part of the machines this runs on; its absence fails.
  ASSERT_TRUE(server) << server.error().to_string();
  ClientOptions client;
  client.port = (*server)->port();
  for (const char* host : {"::1", "[::1]"}) {
    client.host = host;
    NodeInfo node;
    node.name = std::string("six") + (host[0] == '[' ? "b" : "a");
    node.port = 6;
    auto registration = register_node(client, node);
    ASSERT_TRUE(registration) << host << ": " << registration.error().to_string();
    EXPECT_EQ(port_please(client, node.name)->port, 6);
  }
}

TEST_F(EpmdServerTest, StartErrors) {
  ServerOptions options;
  options.addresses = {"localhost"};
  EXPECT_EQ(Server::start(options).error().code, Errc::invalid_argument);
  options.addresses = {"127.0.0.1"};
  options.port = server_->port();
  EXPECT_EQ(Server::start(options).error().code, Errc::io);
}

NodeInfo unnamed_node_named(std::string name) {
  NodeInfo node;
  node.name = std::move(name);
  return node;
}

TEST(EpmdClient, TimeoutAgainstSilentListener) {
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ClientOptions options;
  options.port = silent.local_endpoint().port();
  options.timeout = 200ms;
  const auto begin = std::chrono::steady_clock::now();
  auto reply = names(options);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, Errc::timeout) << reply.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  EXPECT_EQ(register_node(options, unnamed_node_named("x")).error().code, Errc::timeout);
}

TEST(EpmdClient, ConnectionRefusedIsIo) {
  uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  ClientOptions options;
  options.port = port;
  auto found = port_please(options, "x");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, Errc::io);
  EXPECT_NE(found.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST(EpmdClient, DefaultPortFromEnvironment) {
  unsetenv("ERL_EPMD_PORT");
  EXPECT_EQ(default_port(), 4369);
  setenv("ERL_EPMD_PORT", "5000", 1);
  EXPECT_EQ(default_port(), 5000);
  for (const char* bad : {"", "0", "65536", "12x", "-1"}) {
    setenv("ERL_EPMD_PORT", bad, 1);
    EXPECT_EQ(default_port(), 4369) << bad;
  }
  unsetenv("ERL_EPMD_PORT");
}

}  // namespace
}  // namespace beamlink::epmd
