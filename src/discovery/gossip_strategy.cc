// `gossip`: UDP heartbeats, wire-compatible with libcluster's
// Cluster.Strategy.Gossip (packet format in gossip_packet.h).
//
// Options (libcluster's names and defaults first):
//   port (45892), if_addr ("0.0.0.0": the address bound), multicast_if (the
//   interface address for IP_MULTICAST_IF and the group membership; default:
//   the kernel's choice), multicast_addr ("233.252.1.32"), multicast_ttl (1),
//   broadcast_only (false: true sends to 255.255.255.255 with SO_BROADCAST
//   and joins no group), secret (AES-256-CBC as libcluster; plaintext
//   packets are then dropped).
// beamlink's own:
//   authenticated (false; true needs a secret and switches to AES-256-GCM
//   with a timestamp, not understood by libcluster), replay_window (30s),
//   heartbeat_interval (1000 ms; libcluster waits a random 1..5000 ms),
//   jitter (0.5: each wait is the interval scaled by a random factor in
//   [1 - jitter, 1 + jitter]), max_packet (1500 bytes), max_nodes (10000),
//   node_timeout (a node not heard from for this long is forgotten; default
//   30 s or 10 heartbeat intervals, whichever is longer; 0: never, as
//   libcluster; at least 3 heartbeat intervals).
// A multicast_addr that is not a multicast address is sent to directly by
// unicast and no group is joined (two fixed hosts, or tests on loopback).
//
// Behaviour: one heartbeat at start, then one per (jittered) interval. Each
// heartbeat from another node adds it to the set. A node not heard from for
// node_timeout leaves the set (checked at each of our heartbeats, by the
// host's clock), so a name that died in a rolling restart is not redialled
// forever; its next heartbeat brings it back. Leaving the set never
// disconnects: prunes() is false, as libcluster's gossip never disconnects,
// so a connected node stays connected and is only no longer redialled
// should it drop. Bad packets are host.dropped(); own heartbeats (multicast
// loop) are ignored.
//
// The default node_timeout: libcluster waits a random 1..5000 ms between
// heartbeats and UDP may lose a few, so 30 s is six of its longest waits
// and twenty of ours (1 s + 50 %); a dead name is forgotten within half a
// minute of a rolling restart, a live one is not dropped for a few lost
// datagrams. With a longer heartbeat_interval, 10 intervals.
#include <algorithm>
#include <asio/ip/multicast.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <random>

#include "discovery/gossip_packet.h"
#include "discovery/option_reader.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

using asio::ip::address_v4;
using asio::ip::udp;
using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

struct GossipSettings {
  uint16_t port = 45892;
  address_v4 if_addr = address_v4::any();
  std::optional<address_v4> multicast_if;
  address_v4 multicast_addr = address_v4({233, 252, 1, 32});
  int multicast_ttl = 1;
  bool broadcast_only = false;
  std::chrono::milliseconds heartbeat_interval{1000};
  double jitter = 0.5;
  size_t max_nodes = 10000;
  std::chrono::milliseconds node_timeout{30000};  // 0: never
  gossip::PacketConfig packet;
};

std::string describe(const asio::error_code& error) {
  return error.message();
}

// The socket, the timers and the set of nodes heard. Handlers hold a
// shared_ptr to it, so they are safe to run (and do nothing) after stop().
class GossipSession : public std::enable_shared_from_this<GossipSession> {
 public:
  GossipSession(StrategyHost& host, const GossipSettings& settings, gossip::PacketCodec codec)
      : host_(host),
        settings_(settings),
        codec_(std::move(codec)),
        socket_(host.io()),
        heartbeat_timer_(host.io()),
        retry_timer_(host.io()),
        buffer_(settings.packet.max_packet + 1),
        rng_(std::random_device{}()) {}

  Result<void> open();
  void run() {
    send_heartbeat();
    receive();
  }
  void stop() {
    stopped_ = true;
    asio::error_code ignored;
    heartbeat_timer_.cancel();
    retry_timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void send_heartbeat();
  void schedule_heartbeat();
  void receive();
  void handle(std::span<const uint8_t> datagram);
  void expire();
  void publish();

  StrategyHost& host_;
  GossipSettings settings_;
  gossip::PacketCodec codec_;
  udp::socket socket_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer retry_timer_;
  udp::endpoint destination_;
  udp::endpoint sender_;
  std::vector<uint8_t> buffer_;
  std::map<std::string, TimePoint> heard_;  // node -> when last heard
  std::mt19937_64 rng_;
  bool stopped_ = false;
  bool send_failing_ = false;
};

Result<void> GossipSession::open() {
  const udp::endpoint local(settings_.if_addr, settings_.port);
  const bool multicast = !settings_.broadcast_only && settings_.multicast_addr.is_multicast();
  const auto failed = [&](std::string_view what, const asio::error_code& error) {
    return fail(Errc::io, "gossip: " + std::string(what) + " " + local.address().to_string() + ":" +
                              std::to_string(local.port()) + ": " + describe(error));
  };
  asio::error_code error;
  if (socket_.open(udp::v4(), error); error) return failed("open", error);
  // Several nodes on one machine share the port, as libcluster's reuseaddr.
  if (socket_.set_option(asio::socket_base::reuse_address(true), error); error) {
    return failed("SO_REUSEADDR on", error);
  }
  if (socket_.bind(local, error); error) return failed("bind", error);
  if (settings_.broadcast_only) {
    if (socket_.set_option(asio::socket_base::broadcast(true), error); error) {
      return failed("SO_BROADCAST on", error);
    }
    destination_ = udp::endpoint(address_v4::broadcast(), settings_.port);
    return {};
  }
  destination_ = udp::endpoint(settings_.multicast_addr, settings_.port);
  if (!multicast) return {};
  const address_v4 interface = settings_.multicast_if.value_or(address_v4::any());
  socket_.set_option(asio::ip::multicast::enable_loopback(true), error);
  if (!error) socket_.set_option(asio::ip::multicast::hops(settings_.multicast_ttl), error);
  if (!error && settings_.multicast_if) {
    socket_.set_option(asio::ip::multicast::outbound_interface(interface), error);
  }
  if (error) return failed("multicast options on", error);
  socket_.set_option(asio::ip::multicast::join_group(settings_.multicast_addr, interface), error);
  if (error) {
    return failed(
        "joining " + settings_.multicast_addr.to_string() + " via " + interface.to_string() + " on",
        error);
  }
  return {};
}

void GossipSession::send_heartbeat() {
  expire();
  auto packet = codec_.encode(host_.self(), std::chrono::system_clock::now());
  if (!packet) {
    host_.log(LogLevel::error, "cannot encode a heartbeat: " + packet.error().to_string());
    return;  // the node name cannot change, so neither will this
  }
  auto bytes = std::make_shared<std::vector<uint8_t>>(std::move(*packet));
  socket_.async_send_to(asio::buffer(*bytes), destination_,
                        [self = shared_from_this(), bytes](const asio::error_code& error, size_t) {
                          if (self->stopped_ || error == asio::error::operation_aborted) return;
                          if (error && !self->send_failing_) {
                            self->host_.log(LogLevel::warning,
                                            "heartbeat to " +
                                                self->destination_.address().to_string() +
                                                " failed: " + describe(error));
                          }
                          self->send_failing_ = static_cast<bool>(error);
                        });
  schedule_heartbeat();
}

void GossipSession::schedule_heartbeat() {
  std::uniform_real_distribution<double> factor(1.0 - settings_.jitter, 1.0 + settings_.jitter);
  const auto wait = std::max<int64_t>(
      1, static_cast<int64_t>(static_cast<double>(settings_.heartbeat_interval.count()) *
                              factor(rng_)));
  heartbeat_timer_.expires_after(std::chrono::milliseconds(wait));
  heartbeat_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (self->stopped_ || error) return;
    self->send_heartbeat();
  });
}

void GossipSession::receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_,
      [self = shared_from_this()](const asio::error_code& error, size_t size) {
        if (self->stopped_ || error == asio::error::operation_aborted) return;
        if (!error) {
          self->handle(std::span(self->buffer_).first(size));
          self->receive();
          return;
        }
        // Should not happen on an unconnected UDP socket; retry calmly.
        self->host_.log(LogLevel::warning, "receive failed: " + describe(error));
        self->retry_timer_.expires_after(std::chrono::milliseconds(100));
        self->retry_timer_.async_wait([self](const asio::error_code& retry_error) {
          if (!self->stopped_ && !retry_error) self->receive();
        });
      });
}

void GossipSession::handle(std::span<const uint8_t> datagram) {
  // The buffer is one byte over max_packet, so a full buffer was too long.
  auto node = codec_.decode(datagram, std::chrono::system_clock::now());
  const std::string from = sender_.address().to_string() + ":" + std::to_string(sender_.port());
  if (!node) {
    host_.dropped("from " + from + ": " + node.error().message);
    return;
  }
  if (*node == host_.self()) return;
  if (auto known = heard_.find(*node); known != heard_.end()) {
    known->second = host_.now();
    return;
  }
  if (heard_.size() >= settings_.max_nodes) {
    host_.dropped("from " + from + ": " + *node + " is over max_nodes (" +
                  std::to_string(settings_.max_nodes) + ")");
    return;
  }
  heard_.emplace(*node, host_.now());
  host_.log(LogLevel::debug, "heard " + *node + " from " + from);
  publish();
}

void GossipSession::expire() {
  if (settings_.node_timeout.count() == 0) return;
  const TimePoint now = host_.now();
  const size_t before = heard_.size();
  std::erase_if(heard_, [&](const auto& entry) {
    const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.second);
    if (silent < settings_.node_timeout) return false;
    host_.log(LogLevel::info, "forgetting " + entry.first + ": not heard from for " +
                                  std::to_string(silent.count()) + " ms (node_timeout " +
                                  std::to_string(settings_.node_timeout.count()) +
                                  " ms); not redialled, not disconnected");
    return true;
  });
  if (heard_.size() != before) publish();
}

void GossipSession::publish() {
  std::vector<std::string> nodes;
  nodes.reserve(heard_.size());
  for (const auto& [node, heard] : heard_) nodes.push_back(node);
  host_.publish(std::move(nodes));
}

class GossipStrategy final : public Strategy {
 public:
  GossipStrategy(GossipSettings settings, gossip::PacketCodec codec)
      : settings_(std::move(settings)), codec_(std::move(codec)) {}
  ~GossipStrategy() override { stop(); }

  Result<void> start(StrategyHost& host) override {
    auto session = std::make_shared<GossipSession>(host, settings_, codec_);
    if (auto opened = session->open(); !opened) {
      session->stop();
      return opened;
    }
    session_ = std::move(session);
    const char* security[] = {"plaintext", "AES-256-CBC", "AES-256-GCM"};
    host.log(LogLevel::info,
             "listening on " + settings_.if_addr.to_string() + ":" +
                 std::to_string(settings_.port) +
                 (settings_.broadcast_only ? ", broadcast"
                                           : ", to " + settings_.multicast_addr.to_string()) +
                 ", " + security[static_cast<int>(codec_.security())]);
    session_->run();
    return {};
  }
  void stop() override {
    if (session_) session_->stop();
    session_.reset();
  }
  bool prunes() const override { return false; }

 private:
  GossipSettings settings_;
  gossip::PacketCodec codec_;
  std::shared_ptr<GossipSession> session_;
};

std::optional<address_v4> read_address(OptionReader& options, std::string_view key) {
  auto text = options.string(key);
  if (!text) return std::nullopt;
  asio::error_code error;
  auto address = asio::ip::make_address_v4(*text, error);
  if (error) {
    options.invalid(key, "must be an IPv4 address, got \"" + *text + "\"");
    return std::nullopt;
  }
  return address;
}

// OptionReader has no reader for floats, so `jitter` is taken out of the
// spec before the reader sees it and checked here.
void read_jitter(const TopologySpec& spec, OptionReader& options, double& jitter) {
  auto it = spec.options.find("jitter");
  if (it == spec.options.end()) return;
  if (const auto* d = std::get_if<double>(&it->second)) {
    jitter = *d;
  } else if (const auto* i = std::get_if<int64_t>(&it->second)) {
    jitter = static_cast<double>(*i);
  } else {
    options.invalid("jitter", "must be a number between 0 and 1");
    return;
  }
  if (!(jitter >= 0.0 && jitter < 1.0)) options.invalid("jitter", "must be >= 0 and < 1");
}

}  // namespace

Result<std::unique_ptr<Strategy>> make_gossip_strategy(const TopologySpec& spec) {
  TopologySpec rest = spec;
  rest.options.erase("jitter");
  OptionReader options(rest);
  GossipSettings s;
  read_jitter(spec, options, s.jitter);
  if (auto port = options.integer("port", 1, 65535)) s.port = static_cast<uint16_t>(*port);
  if (auto address = read_address(options, "if_addr")) s.if_addr = *address;
  s.multicast_if = read_address(options, "multicast_if");
  if (auto address = read_address(options, "multicast_addr")) s.multicast_addr = *address;
  if (auto ttl = options.integer("multicast_ttl", 0, 255)) s.multicast_ttl = static_cast<int>(*ttl);
  s.broadcast_only = options.boolean("broadcast_only").value_or(false);
  auto secret = options.string("secret");
  const bool authenticated = options.boolean("authenticated").value_or(false);
  if (auto window = options.duration("replay_window")) s.packet.replay_window = *window;
  if (auto interval = options.duration("heartbeat_interval")) s.heartbeat_interval = *interval;
  if (auto size = options.integer("max_packet", 64, 65507)) s.packet.max_packet = *size;
  if (auto most = options.integer("max_nodes", 1, 1'000'000)) s.max_nodes = *most;
  auto node_timeout = options.duration("node_timeout");

  if (secret && secret->empty()) options.invalid("secret", "must not be empty");
  if (authenticated && !secret) options.invalid("authenticated", "needs a secret");
  if (s.packet.replay_window.count() <= 0) options.invalid("replay_window", "must be > 0");
  if (s.heartbeat_interval.count() < 10) options.invalid("heartbeat_interval", "must be >= 10ms");
  s.node_timeout =
      node_timeout.value_or(std::max<std::chrono::milliseconds>(30s, 10 * s.heartbeat_interval));
  if (s.node_timeout.count() != 0 && s.node_timeout < 3 * s.heartbeat_interval) {
    options.invalid("node_timeout", "must be 0 (never) or at least 3 heartbeat intervals (" +
                                        std::to_string(3 * s.heartbeat_interval.count()) + " ms)");
  }
  if (auto done = options.finish(); !done) return std::unexpected(done.error());

  if (secret) {
    s.packet.secret = *secret;
    s.packet.security = authenticated ? gossip::Security::gcm : gossip::Security::cbc;
  }
  auto codec = gossip::PacketCodec::create(s.packet);
  if (!codec) return std::unexpected(codec.error());
  return std::make_unique<GossipStrategy>(std::move(s), std::move(*codec));
}

}  // namespace beamlink::discovery
