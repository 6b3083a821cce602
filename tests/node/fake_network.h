// fake_network.h - an in-memory distribution layer for node runtime tests.
//
// FakeNetwork joins any number of Nodes (through node::start_node of
// node/node_testing.h) and scripted peers (a test playing the other node
// by hand). Deliveries run on one network thread, in order, as a real
// connection's strand would run them: connection_up, deliver..., then
// connection_down once. Every control message sent to a scripted peer is
// recorded for the test to inspect.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "beamlink/node.h"
#include "dist/control_message.h"
#include "dist/distribution.h"
#include "node/node_testing.h"

namespace beamlink::testing {

class FakeNetwork;

// All DFLAGs an OTP 25 node announces that matter to the runtime.
inline constexpr uint64_t kOtp25Flags =
    0x80000 | 0x400000 | 0x2000000 | (uint64_t{1} << 32) | (uint64_t{8} << 32);

struct Sent {
  Term control;
  std::optional<Term> payload;
};

class FakeConnection final : public dist::Connection {
 public:
  FakeConnection(FakeNetwork& network, dist::PeerInfo peer) : network_(network), peer_(peer) {}
  const dist::PeerInfo& peer() const override { return peer_; }
  bool send(const Term& control, const Term* payload) override;
  void close(std::string reason) override;
  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  friend class FakeNetwork;
  FakeNetwork& network_;
  dist::PeerInfo peer_;
  mutable std::mutex mu_;
  bool closed_ = false;
  dist::DistSink* owner_sink_ = nullptr;      // the node this object belongs to
  dist::DistSink* remote_sink_ = nullptr;     // the node at the other end, or
  std::function<void(Sent)> to_scripted_;     // a scripted peer's inbox
  std::weak_ptr<FakeConnection> other_side_;  // the other end's connection object
};

// A node played by the test: inject() delivers control messages to the
// runtime, next() returns what the runtime sent it.
class ScriptedPeer {
 public:
  std::string name;
  uint32_t creation = 7;
  // The default pg scope discovers every visible node it sees come up;
  // its {discover, Pid} to {pg, Peer} is left out unless this is set.
  bool record_pg = false;

  std::optional<Sent> next(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return !inbox_.empty(); })) return std::nullopt;
    Sent sent = std::move(inbox_.front());
    inbox_.pop_front();
    return sent;
  }
  // The next message whose control op is `op`, skipping others.
  std::optional<Sent> next_op(int64_t op,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto sent = next(left);
      if (!sent) return std::nullopt;
      if (sent->control.as<Tuple>().elements[0] == Term(op)) return sent;
    }
  }
  void inject(Term control, std::optional<Term> payload = std::nullopt);
  Pid pid(uint32_t id) const { return Pid{Atom(name), id, 0, creation}; }

 private:
  friend class FakeNetwork;
  void receive(Sent sent) {
    // A scripted peer plays a node without pg or `global`: the {discover,
    // Pid} a pg scope and the init_connect global_name_server send at
    // nodeup are not its script (unless it records pg traffic).
    const Tuple* c = sent.control.get_if<Tuple>();
    bool to_pg = c != nullptr && c->elements.size() == 4 &&
                 c->elements[0] == Term(dist::REG_SEND) && c->elements[3].is_atom("pg");
    bool to_global = c != nullptr && c->elements.size() == 4 &&
                     c->elements[0] == Term(dist::REG_SEND) &&
                     c->elements[3].is_atom("global_name_server");
    if ((to_pg && !record_pg) || to_global) {
      return;
    }
    std::lock_guard lock(mu_);
    inbox_.push_back(std::move(sent));
    cv_.notify_all();
  }
  FakeNetwork* network_ = nullptr;
  std::shared_ptr<FakeConnection> runtime_side_;  // the runtime's connection to us
  dist::DistSink* runtime_sink_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Sent> inbox_;
};

class FakeDistribution final : public dist::Distribution {
 public:
  FakeDistribution(FakeNetwork& network, std::string name, uint32_t creation, bool hidden,
                   dist::DistSink& sink)
      : network_(network),
        name_(std::move(name)),
        creation_(creation),
        hidden_(hidden),
        sink_(sink) {}
  ~FakeDistribution() override { stop(); }
  const std::string& node_name() const override { return name_; }
  uint32_t creation() const override { return creation_; }
  uint16_t listen_port() const override { return 0; }
  void connect(const std::string& node,
               std::function<void(Result<std::shared_ptr<dist::Connection>>)> done) override;
  Result<std::shared_ptr<dist::Connection>> connect_sync(const std::string& node) override;
  std::shared_ptr<dist::Connection> connection(std::string_view node) const override;
  std::vector<std::shared_ptr<dist::Connection>> connections() const override;
  void disconnect(std::string_view node) override;
  void stop() override;

 private:
  friend class FakeNetwork;
  FakeNetwork& network_;
  std::string name_;
  uint32_t creation_;
  bool hidden_;
  dist::DistSink& sink_;
  std::atomic<bool> stopped_{false};
};

class FakeNetwork {
 public:
  friend class FakeDistribution;
  FakeNetwork() : thread_([this] { run(); }) {}
  ~FakeNetwork() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // For node::start_node (node/node_testing.h).
  node::DistributionFactory factory(uint32_t creation = 1) {
    return [this, creation](const dist::DistOptions& options,
                            dist::DistSink& sink) -> Result<std::unique_ptr<dist::Distribution>> {
      std::lock_guard lock(mu_);
      if (nodes_.contains(options.node_name)) return fail(Errc::refused, "name taken");
      auto d = std::make_unique<FakeDistribution>(*this, options.node_name, creation,
                                                  options.hidden, sink);
      nodes_[options.node_name] = d.get();
      return std::unique_ptr<dist::Distribution>(std::move(d));
    };
  }

  // A scripted peer connected to `node` (connection_up already delivered
  // when this returns).
  std::shared_ptr<ScriptedPeer> scripted_peer(const std::string& name, const std::string& node,
                                              uint64_t flags = kOtp25Flags) {
    auto peer = std::make_shared<ScriptedPeer>();
    peer->name = name;
    peer->network_ = this;
    std::shared_ptr<FakeConnection> conn;
    {
      std::lock_guard lock(mu_);
      FakeDistribution* d = nodes_.at(node);
      conn = std::make_shared<FakeConnection>(*this,
                                              dist::PeerInfo{name, flags, peer->creation, false});
      conn->owner_sink_ = &d->sink_;
      std::weak_ptr<ScriptedPeer> weak = peer;
      conn->to_scripted_ = [weak](Sent sent) {
        if (auto p = weak.lock()) p->receive(std::move(sent));
      };
      peer->runtime_side_ = conn;
      peer->runtime_sink_ = &d->sink_;
      connections_[{node, name}] = conn;
      post_locked([sink = &d->sink_, conn] { sink->connection_up(conn); });
    }
    flush();
    return peer;
  }

  // Holds back the connects nodes start (route's auto-connect), so a test
  // can act while a connection is being set up: `all` keeps the whole
  // connect (no connection_up yet), `done` sets the connection up
  // (connection_up runs) but keeps back the connect's completion.
  enum class Hold { none, all, done };
  void hold_connects(Hold hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
  }
  // Stops holding and lets what was held go on, in order.
  void release_connects() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mu_);
      hold_ = Hold::none;
      held.swap(held_);
    }
    for (auto& fn : held) fn();
  }
  size_t held_connects() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  // Runs `fn` on the network thread after everything queued before it.
  void post(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    post_locked(std::move(fn));
  }
  // Waits until everything queued so far has run.
  void flush() {
    std::mutex m;
    std::condition_variable cv;
    bool ran = false;
    post([&] {
      std::lock_guard lock(m);
      ran = true;
      cv.notify_all();
    });
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return ran; });
  }

  // Ends every connection of `node`, as if its peer vanished (kill -9).
  void kill_connections(const std::string& node, const std::string& reason) {
    std::vector<std::shared_ptr<FakeConnection>> doomed;
    {
      std::lock_guard lock(mu_);
      for (auto& [key, conn] : connections_) {
        if (key.first == node || key.second == node) doomed.push_back(conn);
      }
    }
    for (auto& conn : doomed) conn->close(reason);
    flush();
  }

  Result<std::shared_ptr<dist::Connection>> connect(FakeDistribution& from, const std::string& to) {
    std::lock_guard lock(mu_);
    if (auto it = connections_.find({from.name_, to}); it != connections_.end()) return it->second;
    auto it = nodes_.find(to);
    if (it == nodes_.end() || it->second->stopped_ || from.stopped_) {
      return fail(Errc::not_found, "no node " + to);
    }
    FakeDistribution& peer = *it->second;
    bool hidden = from.hidden_ || peer.hidden_;
    auto ours = std::make_shared<FakeConnection>(
        *this, dist::PeerInfo{to, kOtp25Flags, peer.creation_, hidden});
    auto theirs = std::make_shared<FakeConnection>(
        *this, dist::PeerInfo{from.name_, kOtp25Flags, from.creation_, hidden});
    ours->owner_sink_ = &from.sink_;
    theirs->owner_sink_ = &peer.sink_;
    ours->remote_sink_ = &peer.sink_;
    ours->other_side_ = theirs;
    theirs->remote_sink_ = &from.sink_;
    theirs->other_side_ = ours;
    connections_[{from.name_, to}] = ours;
    connections_[{to, from.name_}] = theirs;
    post_locked([a = &from.sink_, ours, b = &peer.sink_, theirs] {
      a->connection_up(ours);
      b->connection_up(theirs);
    });
    return ours;
  }

  void close(FakeConnection& conn, const std::string& reason) {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<FakeConnection>> ends;
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.get() == &conn || it->second->other_side_.lock().get() == &conn) {
        ends.push_back(it->second);
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& end : ends) {
      std::lock_guard conn_lock(end->mu_);
      end->closed_ = true;
    }
    for (auto& end : ends) {
      post_locked([owner = end->owner_sink_, end, reason] { owner->connection_down(end, reason); });
    }
  }

  std::vector<std::shared_ptr<dist::Connection>> connections_of(const std::string& node) const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<dist::Connection>> out;
    for (const auto& [key, conn] : connections_) {
      if (key.first == node) out.push_back(conn);
    }
    return out;
  }

  void remove(FakeDistribution& d) {
    std::lock_guard lock(mu_);
    nodes_.erase(d.name_);
  }

 private:
  friend class ScriptedPeer;
  friend class FakeConnection;
  void post_locked(std::function<void()> fn) {
    queue_.push_back(std::move(fn));
    cv_.notify_all();
  }
  void run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  Hold hold_ = Hold::none;
  std::vector<std::function<void()>> held_;
  bool done_ = false;
  std::map<std::string, FakeDistribution*> nodes_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<FakeConnection>> connections_;
  std::thread thread_;
};

// ---- Inline definitions that need FakeNetwork complete ----

inline bool FakeConnection::send(const Term& control, const Term* payload) {
  std::shared_ptr<FakeConnection> other;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    other = other_side_.lock();
  }
  Sent sent{control, payload ? std::optional<Term>(*payload) : std::nullopt};
  if (to_scripted_) {
    network_.post([fn = to_scripted_, sent = std::move(sent)]() mutable { fn(std::move(sent)); });
  } else {
    network_.post([sink = remote_sink_, other, sent = std::move(sent)]() mutable {
      if (other != nullptr && !other->closed()) {
        sink->deliver(other, std::move(sent.control), std::move(sent.payload));
        sink->flush();  // each delivery is a read of its own
      }
    });
  }
  return true;
}

inline void FakeConnection::close(std::string reason) {
  network_.close(*this, reason);
}

inline void ScriptedPeer::inject(Term control, std::optional<Term> payload) {
  network_->post([sink = runtime_sink_, conn = runtime_side_, control = std::move(control),
                  payload = std::move(payload)]() mutable {
    if (conn->closed()) return;
    sink->deliver(conn, std::move(control), std::move(payload));
    sink->flush();
  });
}

inline void FakeDistribution::connect(
    const std::string& node, std::function<void(Result<std::shared_ptr<dist::Connection>>)> done) {
  FakeNetwork::Hold hold;
  {
    std::lock_guard lock(network_.mu_);
    hold = network_.hold_;
    if (hold == FakeNetwork::Hold::all) {
      network_.held_.push_back([this, node, done = std::move(done)] { connect(node, done); });
      return;
    }
  }
  auto result = network_.connect(*this, node);
  auto complete = [this, done = std::move(done), result = std::move(result)] {
    network_.post([done, result] { done(result); });
  };
  if (hold == FakeNetwork::Hold::done) {
    std::lock_guard lock(network_.mu_);
    network_.held_.push_back(std::move(complete));
    return;
  }
  complete();
}

inline Result<std::shared_ptr<dist::Connection>> FakeDistribution::connect_sync(
    const std::string& node) {
  auto result = network_.connect(*this, node);
  network_.flush();  // connection_up has run when this returns
  return result;
}

inline std::shared_ptr<dist::Connection> FakeDistribution::connection(std::string_view node) const {
  for (auto& conn : network_.connections_of(name_)) {
    if (conn->peer().name == node) return conn;
  }
  return nullptr;
}

inline std::vector<std::shared_ptr<dist::Connection>> FakeDistribution::connections() const {
  return network_.connections_of(name_);
}

inline void FakeDistribution::disconnect(std::string_view node) {
  if (auto conn = connection(node)) conn->close("disconnect");
}

inline void FakeDistribution::stop() {
  if (stopped_.exchange(true)) return;
  for (auto& conn : connections()) conn->close("stopped");
  network_.remove(*this);
  network_.flush();
}

}  // namespace beamlink::testing
