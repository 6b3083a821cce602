#include "discovery/reconciler.h"

#include <algorithm>
#include <asio/post.hpp>
#include <atomic>

namespace beamlink::discovery {

namespace {
constexpr int kSettledResyncFactor = 5;
}  // namespace

using Clock = std::chrono::steady_clock;

Reconciler::Reconciler(asio::io_context& io, WorkerPool& pool, ClusterHooks hooks,
                       const ReconcilerOptions& options, std::string self, Logger logger)
    : io_(io),
      pool_(pool),
      hooks_(std::move(hooks)),
      options_(options),
      backoff_{options.backoff_initial, options.backoff_max, options.jitter},
      self_(std::move(self)),
      logger_(std::move(logger)),
      random_(std::random_device{}()),
      timer_(io) {}

Reconciler::~Reconciler() {
  // Asynchronous connects post their outcome to io_ and touch nothing of
  // ours after that; wait until none is left, so io_ outlives their posts.
  std::unique_lock lock(outstanding_->mutex);
  outstanding_->idle.wait(lock, [this] { return outstanding_->count == 0; });
}

size_t Reconciler::add_topology(std::string name, std::string strategy, bool prunes,
                                std::optional<std::chrono::milliseconds> retry_max) {
  std::lock_guard lock(mutex_);
  Topology topology;
  topology.status.name = std::move(name);
  topology.status.strategy = std::move(strategy);
  topology.prunes = prunes;
  topology.retry_max = retry_max;
  topologies_.push_back(std::move(topology));
  return topologies_.size() - 1;
}

void Reconciler::log(size_t topology, LogLevel level, std::string_view message) {
  if (logger_) logger_(level, topologies_[topology].status.name, message);
}

bool Reconciler::wanted(const std::string& node) const {
  return std::any_of(topologies_.begin(), topologies_.end(),
                     [&](const Topology& t) { return t.desired.contains(node); });
}

size_t Reconciler::owner(const std::string& node) const {
  for (size_t i = 0; i < topologies_.size(); ++i) {
    if (topologies_[i].desired.contains(node)) return i;
  }
  return 0;
}

void Reconciler::set_desired(size_t index, std::vector<std::string> nodes) {
  if (stopped_) return;
  std::set<std::string> next;
  for (auto& node : nodes) {
    if (node != self_ && !node.empty()) next.insert(std::move(node));
  }
  std::vector<std::string> added;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(mutex_);
    Topology& topology = topologies_[index];
    std::set_difference(next.begin(), next.end(), topology.desired.begin(), topology.desired.end(),
                        std::back_inserter(added));
    std::set_difference(topology.desired.begin(), topology.desired.end(), next.begin(), next.end(),
                        std::back_inserter(removed));
    topology.desired = std::move(next);
    topology.status.desired.assign(topology.desired.begin(), topology.desired.end());
  }
  for (const auto& node : added) {
    log(index, LogLevel::debug, "discovered " + node);
    if (auto [peer, fresh] = peers_.try_emplace(node); fresh)
      defer_if_peer_dials(node, peer->second);
  }
  const Topology& topology = topologies_[index];
  for (const auto& node : removed) {
    if (wanted(node)) {
      log(index, LogLevel::debug, node + " left this topology but another one still wants it");
      continue;
    }
    auto peer = peers_.find(node);
    bool in_flight = peer != peers_.end() && peer->second.in_flight;
    if (!in_flight) peers_.erase(node);
    if (!topology.prunes) {
      log(index, LogLevel::debug,
          node + " no longer reported; left connected (strategy does not prune)");
      continue;
    }
    std::vector<std::string> connected = hooks_.list_nodes();
    if (std::find(connected.begin(), connected.end(), node) == connected.end()) {
      log(index, LogLevel::info, node + " is gone from discovery (was not connected)");
      continue;
    }
    log(index, LogLevel::info, "disconnecting " + node + ": no longer discovered");
    {
      std::lock_guard lock(mutex_);
      topologies_[index].status.disconnects++;
    }
    pool_.post([disconnect = hooks_.disconnect, node] { disconnect(node); });
  }
  if (!added.empty() || !removed.empty()) {
    log(index, LogLevel::debug,
        "desired set now " + std::to_string(topology.desired.size()) + " node(s), +" +
            std::to_string(added.size()) + " -" + std::to_string(removed.size()));
  }
  reconcile();
}

void Reconciler::discovery_failed(size_t index, const Error& error, LogLevel level) {
  size_t kept = 0;
  {
    std::lock_guard lock(mutex_);
    Topology& topology = topologies_[index];
    topology.status.discovery_errors++;
    topology.status.last_error = error.to_string();
    kept = topology.desired.size();
  }
  log(index, level,
      "discovery failed: " + error.to_string() + "; keeping the " + std::to_string(kept) +
          " known node(s)");
}

void Reconciler::dropped(size_t index, std::string_view why) {
  {
    std::lock_guard lock(mutex_);
    topologies_[index].status.dropped_packets++;
  }
  log(index, LogLevel::debug, "dropped: " + std::string(why));
}

void Reconciler::node_up(const std::string& node) {
  auto peer = peers_.find(node);
  if (peer == peers_.end()) return;
  peer->second.connected = true;
  peer->second.failures = 0;
}

void Reconciler::node_down(const std::string& node, const std::string& reason) {
  if (stopped_) return;
  auto peer = peers_.find(node);
  if (peer == peers_.end()) return;
  peer->second.connected = false;
  peer->second.failures = 0;
  peer->second.next_attempt = Clock::now();
  defer_if_peer_dials(node, peer->second);
  log(owner(node), LogLevel::info, node + " went down (" + reason + "); reconnecting");
  reconcile();
}

void Reconciler::start() {
  schedule(Clock::now());
}

void Reconciler::stop() {
  stopped_ = true;
  timer_.cancel();
}

void Reconciler::schedule(Clock::time_point when) {
  if (stopped_) return;
  Clock::time_point now = Clock::now();
  if (when < now) when = now;
  // Keep the earliest pending wake-up.
  if (timer_due_ > now && timer_due_ <= when) return;
  timer_due_ = when;
  timer_.expires_at(when);
  timer_.async_wait([this](const std::error_code& ec) {
    if (ec || stopped_) return;
    timer_due_ = {};
    reconcile();
  });
}

void Reconciler::defer_if_peer_dials(const std::string& node, Peer& peer) {
  // The greater name wins a simultaneous connect (erl_dist_protocol), so it
  // dials at once; we wait a little for its connection, so that the pair
  // pays for one TCP connect and one handshake, not two. If it does not come
  // (an Erlang peer, or one that does not know us), we dial after all.
  if (!(node > self_)) return;
  const double scale = std::uniform_real_distribution<double>(1.0, 2.0)(random_);
  peer.next_attempt = std::max(
      peer.next_attempt,
      Clock::now() + std::chrono::duration_cast<Clock::duration>(options_.backoff_initial * scale));
}

void Reconciler::reconcile() {
  if (stopped_) return;
  Clock::time_point now = Clock::now();
  std::vector<std::string> list = hooks_.list_nodes();
  std::set<std::string> connected(list.begin(), list.end());
  // Settled (every wanted node connected, no dial in flight): node events
  // keep the picture current, and the resync is only a safety net, so it
  // comes kSettledResyncFactor times less often. Each costs a copy of the
  // node list, which on an idle mesh was the largest user-space cost.
  bool settled = in_flight_ == 0;
  Clock::time_point next = now + options_.resync_interval;
  for (auto& [node, peer] : peers_) {
    if (!wanted(node)) continue;
    if (peer.in_flight || !connected.contains(node)) settled = false;
    if (connected.contains(node)) {
      if (!peer.connected && !peer.in_flight) {
        log(owner(node), LogLevel::debug, node + " is connected");
      }
      peer.connected = true;
      peer.failures = 0;
      continue;
    }
    peer.connected = false;
    if (peer.in_flight) continue;
    if (peer.next_attempt > now) {
      next = std::min(next, peer.next_attempt);
      continue;
    }
    // At the limit: the next connect to finish reconciles again.
    if (in_flight_ >= std::max<size_t>(1, options_.max_connects)) continue;
    connect(node);
  }
  if (settled) next = now + options_.resync_interval * kSettledResyncFactor;
  schedule(next);
}

void Reconciler::connect(const std::string& node) {
  Peer& peer = peers_[node];
  peer.in_flight = true;
  peer.attempt = ++attempts_;
  ++in_flight_;
  log(owner(node), LogLevel::debug,
      "connecting to " + node +
          (peer.failures > 0 ? " (retry " + std::to_string(peer.failures) + ")" : ""));
  const uint64_t attempt = peer.attempt;
  peer.deadline = std::make_shared<asio::steady_timer>(io_, options_.connect_timeout);
  peer.deadline->async_wait([this, node, attempt](const std::error_code& ec) {
    if (ec) return;
    on_connected(node, attempt,
                 fail(Errc::timeout, "no outcome after " +
                                         std::to_string(options_.connect_timeout.count()) + " ms"));
  });
  if (!hooks_.connect_async) {
    pool_.post([this, node, attempt, connect = hooks_.connect] {
      Result<void> result = connect(node);
      asio::post(io_, [this, node, attempt, result = std::move(result)]() mutable {
        on_connected(node, attempt, std::move(result));
      });
    });
    return;
  }
  {
    std::lock_guard lock(outstanding_->mutex);
    ++outstanding_->count;
  }
  // Whoever claims the attempt first (its outcome, or a throw) counts it
  // out, after the post: io_ is alive until the count is back to 0.
  auto claimed = std::make_shared<std::atomic<bool>>(false);
  auto leave = [outstanding = outstanding_] {
    std::lock_guard lock(outstanding->mutex);
    if (--outstanding->count == 0) outstanding->idle.notify_all();
  };
  auto done = [this, node, attempt, claimed, leave](Result<void> result) {
    if (claimed->exchange(true)) return;
    asio::post(io_, [this, node, attempt, result = std::move(result)]() mutable {
      on_connected(node, attempt, std::move(result));
    });
    leave();
  };
  try {
    hooks_.connect_async(node, std::move(done));
  } catch (...) {
    // The attempt's deadline ends it.
    if (!claimed->exchange(true)) {
      leave();
      log(owner(node), LogLevel::error, "connecting to " + node + " threw");
    }
  }
}

void Reconciler::on_connected(const std::string& node, uint64_t attempt, Result<void> result) {
  if (stopped_) return;
  auto it = peers_.find(node);
  if (it == peers_.end() || !it->second.in_flight || it->second.attempt != attempt) {
    // Left every desired set while in flight, or a timed-out attempt's late
    // outcome (what it connected, reconcile() sees in list_nodes).
    return;
  }
  Peer& peer = it->second;
  peer.in_flight = false;
  if (peer.deadline) peer.deadline->cancel();
  peer.deadline.reset();
  const bool at_limit = in_flight_-- >= std::max<size_t>(1, options_.max_connects);
  if (at_limit) asio::post(io_, [this] { reconcile(); });  // a slot is free
  size_t index = owner(node);
  if (result) {
    peer.failures = 0;
    peer.connected = true;
    {
      std::lock_guard lock(mutex_);
      for (auto& topology : topologies_) {
        if (topology.desired.contains(node)) topology.status.connects++;
      }
    }
    log(index, LogLevel::info, "connected to " + node);
    return;
  }
  peer.failures++;
  Backoff backoff = backoff_;
  for (const auto& topology : topologies_) {
    if (topology.retry_max && topology.desired.contains(node)) {
      backoff.max = std::min(backoff.max, *topology.retry_max);
      backoff.initial = std::min(backoff.initial, backoff.max);
    }
  }
  auto delay = backoff.delay(peer.failures, random_);
  peer.next_attempt = Clock::now() + delay;
  {
    std::lock_guard lock(mutex_);
    for (auto& topology : topologies_) {
      if (topology.desired.contains(node)) topology.status.connect_failures++;
    }
  }
  log(index, peer.failures == 1 ? LogLevel::info : LogLevel::debug,
      "cannot connect to " + node + ": " + result.error().to_string() + "; retry " +
          std::to_string(peer.failures) + " in " + std::to_string(delay.count()) + " ms");
  schedule(peer.next_attempt);
}

std::vector<TopologyStatus> Reconciler::status() const {
  std::lock_guard lock(mutex_);
  std::vector<TopologyStatus> out;
  for (const auto& topology : topologies_) out.push_back(topology.status);
  return out;
}

}  // namespace beamlink::discovery
