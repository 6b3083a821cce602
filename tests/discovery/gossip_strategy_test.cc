// The gossip strategy over real UDP sockets on loopback, by unicast only
// (a multicast_addr that is not a multicast address is sent to directly):
// 127.0.0.1 and 127.0.0.2 share one port, each side sending to the other.
// Expiry of silent nodes is decided by the host's clock, which the tests
// move by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <set>

#include "discovery/gossip_packet.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;

class FakeHost final : public StrategyHost {
 public:
  explicit FakeHost(std::string self) : self_(std::move(self)) {}

  asio::io_context& io() override { return io_; }
  const std::string& self() const override { return self_; }
  uint16_t epmd_port() const override { return 0; }
  void publish(std::vector<std::string> nodes) override { published.push_back(std::move(nodes)); }
  void discovery_failed(const Error& error) override { failures.push_back(error.to_string()); }
  void dropped(std::string_view why) override { drops.emplace_back(why); }
  void log(LogLevel, std::string_view message) override { logs.emplace_back(message); }
  std::chrono::steady_clock::time_point now() override { return clock; }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }

  std::vector<std::vector<std::string>> published;
  std::vector<std::string> failures;
  std::vector<std::string> drops;
  std::vector<std::string> logs;
  std::chrono::steady_clock::time_point clock{};  // moved only by the test

 private:
  asio::io_context io_;
  std::string self_;
};

// Runs `io` until `done` or 5 s have passed; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

uint16_t free_udp_port() {
  asio::io_context io;
  udp::socket socket(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  return socket.local_endpoint().port();
}

TopologySpec spec(StrategyOptions options) {
  return {"gossip_test", "gossip", std::move(options)};
}

// A strategy on 127.0.0.1:port that sends to 127.0.0.2:port.
TopologySpec loopback_spec(uint16_t port, StrategyOptions extra = {}) {
  StrategyOptions options = {{"port", int64_t{port}},
                             {"if_addr", std::string("127.0.0.1")},
                             {"multicast_addr", std::string("127.0.0.2")}};
  options.merge(extra);
  return spec(std::move(options));
}

std::string make_error(StrategyOptions options) {
  auto made = make_gossip_strategy(spec(std::move(options)));
  return made ? "made" : made.error().message;
}

TEST(GossipStrategy, OptionsAreChecked) {
  EXPECT_EQ(make_error({}), "made");
  EXPECT_FALSE((*make_gossip_strategy(spec({})))->prunes());
  EXPECT_EQ(make_error({{"port", int64_t{45892}},
                        {"if_addr", std::string("0.0.0.0")},
                        {"multicast_if", std::string("127.0.0.1")},
                        {"multicast_addr", std::string("233.252.1.32")},
                        {"multicast_ttl", int64_t{1}},
                        {"broadcast_only", false},
                        {"secret", std::string("s")},
                        {"authenticated", true},
                        {"replay_window", std::string("10s")},
                        {"heartbeat_interval", int64_t{500}},
                        {"jitter", 0.25},
                        {"max_packet", int64_t{1500}},
                        {"max_nodes", int64_t{100}},
                        {"node_timeout", std::string("45s")}}),
            "made");
  EXPECT_EQ(make_error({{"node_timeout", int64_t{0}}}), "made");
  EXPECT_EQ(make_error({{"heartbeat_interval", int64_t{50}}, {"node_timeout", int64_t{150}}}),
            "made");
  EXPECT_EQ(make_error({{"heartbeat_interval", int64_t{50}}, {"node_timeout", int64_t{149}}}),
            "topology 'gossip_test' (strategy gossip): option node_timeout must be 0 (never) or "
            "at least 3 heartbeat intervals (150 ms)");
  EXPECT_EQ(make_error({{"if_addr", std::string("nowhere")}}),
            "topology 'gossip_test' (strategy gossip): option if_addr must be an IPv4 address, "
            "got \"nowhere\"");
  EXPECT_EQ(make_error({{"authenticated", true}}),
            "topology 'gossip_test' (strategy gossip): option authenticated needs a secret");
  EXPECT_EQ(make_error({{"secret", std::string()}}),
            "topology 'gossip_test' (strategy gossip): option secret must not be empty");
  EXPECT_EQ(make_error({{"jitter", 1.5}}),
            "topology 'gossip_test' (strategy gossip): option jitter must be >= 0 and < 1");
  EXPECT_EQ(make_error({{"jitter", std::string("0.5")}}),
            "topology 'gossip_test' (strategy gossip): option jitter must be a number between 0 "
            "and 1");
  EXPECT_EQ(make_error({{"jitter", int64_t{0}}}), "made");
  EXPECT_EQ(make_error({{"heartbeat_interval", int64_t{5}}}),
            "topology 'gossip_test' (strategy gossip): option heartbeat_interval must be >= 10ms");
  EXPECT_NE(make_error({{"port", int64_t{70000}}}), "made");
  EXPECT_NE(make_error({{"multicast_ttl", std::string("1")}}), "made");
  EXPECT_EQ(
      make_error({{"hosts", std::vector<std::string>{"a@h"}}}).find("unknown option 'hosts'") !=
          std::string::npos,
      true);
}

TEST(GossipStrategy, BindFailureIsAnIoError) {
  FakeHost host("a@h");
  auto strategy = make_gossip_strategy(
      spec({{"if_addr", std::string("192.0.2.1")}, {"multicast_addr", std::string("127.0.0.2")}}));
  ASSERT_TRUE(strategy);
  auto started = (*strategy)->start(host);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::io);
  EXPECT_NE(started.error().message.find("gossip: bind 192.0.2.1:45892"), std::string::npos)
      << started.error().message;
}

// Two strategies with one secret hear each other. a starts second, so b
// hears a's first heartbeat at once (far sooner than the 1 s interval) and
// a hears b's second one.
TEST(GossipStrategy, TwoNodesHearEachOther) {
  const uint16_t port = free_udp_port();
  FakeHost host_a("a@127.0.0.1");
  FakeHost host_b("b@127.0.0.2");
  const StrategyOptions common = {
      {"secret", std::string("s3cret")}, {"heartbeat_interval", int64_t{1000}}, {"jitter", 0.0}};
  auto a = make_gossip_strategy(loopback_spec(port, common));
  StrategyOptions b_options = common;
  b_options.insert({{"port", int64_t{port}},
                    {"if_addr", std::string("127.0.0.2")},
                    {"multicast_addr", std::string("127.0.0.1")}});
  auto b = make_gossip_strategy(spec(b_options));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE((*b)->start(host_b));
  ASSERT_TRUE((*a)->start(host_a));
  const auto start = std::chrono::steady_clock::now();
  const auto run_both = [&](const std::function<bool()>& done) {
    return run_until(host_b.io(), [&] {
      host_a.io().restart();
      host_a.io().poll();
      return done();
    });
  };
  EXPECT_TRUE(run_both([&] { return !host_b.published.empty(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);  // the next is due at 1 s
  EXPECT_TRUE(run_both([&] { return !host_a.published.empty(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_FALSE(host_a.published.empty());
  ASSERT_FALSE(host_b.published.empty());
  EXPECT_EQ(host_b.published.back(), std::vector<std::string>{"a@127.0.0.1"});
  EXPECT_EQ(host_a.published.back(), std::vector<std::string>{"b@127.0.0.2"});
  EXPECT_TRUE(host_a.drops.empty());
  EXPECT_TRUE(host_b.drops.empty());
  (*a)->stop();
  (*b)->stop();
}

class GossipReceive : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_udp_port();
    peer_.open(udp::v4());
    peer_.set_option(asio::socket_base::reuse_address(true));
    peer_.bind(udp::endpoint(asio::ip::make_address_v4("127.0.0.2"), port_));
  }
  void start(StrategyOptions extra) {
    extra.insert({"heartbeat_interval", int64_t{50}});
    auto made = make_gossip_strategy(loopback_spec(port_, extra));
    ASSERT_TRUE(made) << made.error().to_string();
    strategy_ = std::move(*made);
    auto started = strategy_->start(host_);
    ASSERT_TRUE(started) << started.error().to_string();
  }
  void TearDown() override {
    if (strategy_) strategy_->stop();
  }
  void send(const std::vector<uint8_t>& packet) {
    peer_.send_to(asio::buffer(packet),
                  udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port_));
  }
  // Sends `packet` and runs the strategy until the drop and publish counts
  // reach the expected values (or 5 s pass), then checks them exactly.
  void send_and_settle(const std::vector<uint8_t>& packet, size_t drops, size_t publishes) {
    send(packet);
    EXPECT_TRUE(run_until(host_.io(), [&] {
      return host_.drops.size() >= drops && host_.published.size() >= publishes;
    }));
    EXPECT_EQ(host_.drops.size(), drops);
    EXPECT_EQ(host_.published.size(), publishes);
  }

  // Runs the strategy until the peer has received `count` more of its
  // heartbeats: each one is a point where the expiry check has run.
  void own_heartbeats(int count) {
    std::vector<uint8_t> buffer(2000);
    udp::endpoint from;
    while (peer_.available() > 0) peer_.receive_from(asio::buffer(buffer), from);
    int heard = 0;
    ASSERT_TRUE(run_until(host_.io(), [&] {
      while (peer_.available() > 0) {
        peer_.receive_from(asio::buffer(buffer), from);
        ++heard;
      }
      return heard >= count;
    }));
  }
  bool logged(std::string_view text) const {
    return std::any_of(host_.logs.begin(), host_.logs.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  }

  uint16_t port_ = 0;
  asio::io_context peer_io_;
  udp::socket peer_{peer_io_};
  FakeHost host_{"me@127.0.0.1"};
  std::unique_ptr<Strategy> strategy_;
};

TEST_F(GossipReceive, HeartbeatsPublishAndBadPacketsDrop) {
  start({{"max_nodes", int64_t{2}}});
  // The strategy's own heartbeats reach the peer, in libcluster's format.
  std::vector<uint8_t> buffer(2000);
  udp::endpoint from;
  ASSERT_TRUE(run_until(host_.io(), [&] { return peer_.available() > 0; }));
  const size_t size = peer_.receive_from(asio::buffer(buffer), from);
  auto announced = gossip::parse_heartbeat_plaintext(std::span(buffer).first(size));
  ASSERT_TRUE(announced) << announced.error().to_string();
  EXPECT_EQ(*announced, "me@127.0.0.1");

  send_and_settle(*gossip::heartbeat_plaintext("x@h"), 0, 1);
  EXPECT_EQ(host_.published.back(), std::vector<std::string>{"x@h"});
  send_and_settle(*gossip::heartbeat_plaintext("x@h"), 0, 1);           // known: no publish
  send_and_settle(*gossip::heartbeat_plaintext("me@127.0.0.1"), 0, 1);  // self: ignored
  send_and_settle({'j', 'u', 'n', 'k'}, 1, 1);
  EXPECT_NE(host_.drops.back().find("not a heartbeat"), std::string::npos) << host_.drops.back();
  std::vector<uint8_t> oversize = *gossip::heartbeat_plaintext("y@h");
  oversize.resize(1501, 0);
  send_and_settle(oversize, 2, 1);
  EXPECT_NE(host_.drops.back().find("1501 bytes, over the limit of 1500"), std::string::npos)
      << host_.drops.back();
  send_and_settle(*gossip::heartbeat_plaintext("y@h"), 2, 2);
  EXPECT_EQ(host_.published.back(), (std::vector<std::string>{"x@h", "y@h"}));
  send_and_settle(*gossip::heartbeat_plaintext("z@h"), 3, 2);
  EXPECT_NE(host_.drops.back().find("z@h is over max_nodes (2)"), std::string::npos)
      << host_.drops.back();
  EXPECT_NE(host_.drops.back().find("from 127.0.0.2:"), std::string::npos) << host_.drops.back();
}

TEST_F(GossipReceive, SecretDropsPlaintextAndWrongSecret) {
  start({{"secret", std::string("s3cret")}});
  gossip::PacketConfig right{gossip::Security::cbc, "s3cret"};
  gossip::PacketConfig wrong{gossip::Security::cbc, "wrong"};
  const auto now = std::chrono::system_clock::now();
  send_and_settle(*gossip::heartbeat_plaintext("x@h"), 1, 0);
  EXPECT_NE(host_.drops.back().find("plaintext heartbeat refused"), std::string::npos);
  send_and_settle(*gossip::PacketCodec::create(wrong)->encode("x@h", now), 2, 0);
  send_and_settle(*gossip::PacketCodec::create(right)->encode("x@h", now), 2, 1);
  EXPECT_EQ(host_.published.back(), std::vector<std::string>{"x@h"});
}

TEST_F(GossipReceive, AuthenticatedModeRefusesCbc) {
  start({{"secret", std::string("s3cret")}, {"authenticated", true}});
  const auto now = std::chrono::system_clock::now();
  gossip::PacketConfig cbc{gossip::Security::cbc, "s3cret"};
  gossip::PacketConfig gcm{gossip::Security::gcm, "s3cret"};
  send_and_settle(*gossip::PacketCodec::create(cbc)->encode("x@h", now), 1, 0);
  send_and_settle(*gossip::PacketCodec::create(gcm)->encode("x@h", now - 1h), 2, 0);
  EXPECT_NE(host_.drops.back().find("outside the replay window"), std::string::npos);
  send_and_settle(*gossip::PacketCodec::create(gcm)->encode("x@h", now), 2, 1);
}

// A node not heard from for node_timeout leaves the set; one that keeps
// sending stays; a forgotten node that speaks again comes back. The check
// runs at each of the strategy's own heartbeats (every 50 ms here), by the
// host's clock, which only the test moves.
TEST_F(GossipReceive, NodesNotHeardFromForNodeTimeoutAreForgotten) {
  ASSERT_NO_FATAL_FAILURE(start({{"node_timeout", std::string("10s")}}));
  send_and_settle(*gossip::heartbeat_plaintext("live@h"), 0, 1);
  send_and_settle(*gossip::heartbeat_plaintext("dead@h"), 0, 2);
  EXPECT_EQ(host_.published.back(), (std::vector<std::string>{"dead@h", "live@h"}));

  host_.clock += 6s;
  send_and_settle(*gossip::heartbeat_plaintext("live@h"), 0, 2);  // heard again: not published
  ASSERT_NO_FATAL_FAILURE(own_heartbeats(2));  // the check ran, at 6 s: both stay
  EXPECT_EQ(host_.published.size(), 2u);

  host_.clock += 5s;  // dead@h silent for 11 s, live@h for 5 s
  ASSERT_TRUE(run_until(host_.io(), [&] { return host_.published.size() == 3; }));
  EXPECT_EQ(host_.published.back(), std::vector<std::string>{"live@h"});
  EXPECT_TRUE(logged("forgetting dead@h: not heard from for 11000 ms (node_timeout 10000 ms)"));

  host_.clock += 10s;
  ASSERT_TRUE(run_until(host_.io(), [&] { return host_.published.size() == 4; }));
  EXPECT_TRUE(host_.published.back().empty());

  send_and_settle(*gossip::heartbeat_plaintext("dead@h"), 0, 5);  // back from the dead
  EXPECT_EQ(host_.published.back(), std::vector<std::string>{"dead@h"});
  ASSERT_NO_FATAL_FAILURE(own_heartbeats(2));
  EXPECT_EQ(host_.published.size(), 5u);
}

// With no node_timeout given, a silent node is forgotten after 30 s (10
// heartbeat intervals would be less), not kept forever.
TEST_F(GossipReceive, TheDefaultForgetsASilentNodeAfterThirtySeconds) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  send_and_settle(*gossip::heartbeat_plaintext("gone@h"), 0, 1);
  host_.clock += 29s;
  ASSERT_NO_FATAL_FAILURE(own_heartbeats(2));
  EXPECT_EQ(host_.published.size(), 1u);
  host_.clock += 1s;
  ASSERT_TRUE(run_until(host_.io(), [&] { return host_.published.size() == 2; }));
  EXPECT_TRUE(host_.published.back().empty());
}

// node_timeout 0 keeps every node heard, as libcluster does.
TEST_F(GossipReceive, NodeTimeoutZeroNeverForgets) {
  ASSERT_NO_FATAL_FAILURE(start({{"node_timeout", int64_t{0}}}));
  send_and_settle(*gossip::heartbeat_plaintext("x@h"), 0, 1);
  host_.clock += 24h;
  ASSERT_NO_FATAL_FAILURE(own_heartbeats(2));
  EXPECT_EQ(host_.published.size(), 1u);
}

// A forgotten node frees its place under max_nodes for a new one.
TEST_F(GossipReceive, AForgottenNodeFreesItsPlaceUnderMaxNodes) {
  ASSERT_NO_FATAL_FAILURE(start({{"max_nodes", int64_t{1}}, {"node_timeout", std::string("1s")}}));
  send_and_settle(*gossip::heartbeat_plaintext("old@h"), 0, 1);
  send_and_settle(*gossip::heartbeat_plaintext("new@h"), 1, 1);  // over max_nodes
  host_.clock += 1s;
  ASSERT_TRUE(run_until(host_.io(), [&] { return host_.published.size() == 2; }));
  send_and_settle(*gossip::heartbeat_plaintext("new@h"), 1, 3);
  EXPECT_EQ(host_.published.back(), std::vector<std::string>{"new@h"});
}

TEST_F(GossipReceive, KeepsSendingHeartbeats) {
  start({});
  std::vector<uint8_t> buffer(2000);
  udp::endpoint from;
  int heard = 0;
  const auto start_time = std::chrono::steady_clock::now();
  while (heard < 4 && std::chrono::steady_clock::now() - start_time < 5s) {
    host_.io().restart();
    host_.io().run_for(10ms);
    while (peer_.available() > 0) {
      peer_.receive_from(asio::buffer(buffer), from);
      ++heard;
    }
  }
  EXPECT_GE(heard, 4);
  // 50 ms +- 50 %: four heartbeats (the first at once) take at most ~225 ms.
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 3s);
  strategy_->stop();
  host_.io().restart();
  host_.io().run_for(200ms);
  EXPECT_EQ(peer_.available(), 0u);
}

}  // namespace
}  // namespace beamlink::discovery
