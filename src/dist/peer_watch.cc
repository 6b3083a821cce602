// Who watches whom, and suspicion spread; see peer_watch.h.
#include "dist/peer_watch.h"

#include "dist/watch_ring.h"

namespace beamlink::dist {

PeerWatch::PeerWatch(std::string self, unsigned watchers)
    : self_(std::move(self)), watchers_(watchers) {}

void PeerWatch::joined(const std::shared_ptr<WatchedPeer>& peer) {
  std::vector<Change> changes;
  {
    std::lock_guard lock(mutex_);
    auto& slot = peers_[peer->peer_name()];
    // A new connection with a node we watched: it must be told again.
    if (slot.lock() != peer) watched_.erase(peer->peer_name());
    slot = peer;
    changes = reassign_locked();
  }
  apply(changes);
}

void PeerWatch::left(const WatchedPeer& peer) {
  std::vector<Change> changes;
  {
    std::lock_guard lock(mutex_);
    auto found = peers_.find(peer.peer_name());
    if (found == peers_.end()) return;
    auto known = found->second.lock();
    if (known && known.get() != &peer) return;  // a newer connection with the same node
    peers_.erase(found);
    watched_.erase(peer.peer_name());
    changes = reassign_locked();
  }
  apply(changes);
}

void PeerWatch::dropped(const WatchedPeer& peer, bool watching, int64_t silent_ms) {
  if (watching) tell_others(peer, LivenessMessage::Kind::suspect, silent_ms);
}

void PeerWatch::doubted(const WatchedPeer& peer, int64_t silent_ms) {
  tell_others(peer, LivenessMessage::Kind::doubt, silent_ms);
}

void PeerWatch::tell_others(const WatchedPeer& about, LivenessMessage::Kind kind,
                            int64_t silent_ms) {
  std::vector<std::shared_ptr<WatchedPeer>> others;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, weak] : peers_) {
      if (name == about.peer_name()) continue;
      if (auto other = weak.lock(); other && !other->peer_closed()) others.push_back(other);
    }
  }
  LivenessMessage message;
  message.kind = kind;
  message.node = about.peer_name();
  message.silent_ms = silent_ms;
  for (const auto& other : others) other->send_liveness(message);
}

void PeerWatch::suspected(const WatchedPeer& from, const LivenessMessage& message) {
  if (message.node == self_ || message.node == from.peer_name()) return;
  std::shared_ptr<WatchedPeer> target;
  {
    std::lock_guard lock(mutex_);
    auto found = peers_.find(message.node);
    if (found != peers_.end()) target = found->second.lock();
  }
  if (!target || target->peer_closed()) return;
  const bool verdict = message.kind == LivenessMessage::Kind::suspect;
  target->verify(from.peer_name() + (verdict ? " dropped " : " doubts ") + message.node +
                     ", silent for " + std::to_string(message.silent_ms) + " ms",
                 verdict);
}

std::vector<std::string> PeerWatch::watching() const {
  std::lock_guard lock(mutex_);
  return {watched_.begin(), watched_.end()};
}

std::vector<PeerWatch::Change> PeerWatch::reassign_locked() {
  std::vector<std::string> names;
  names.reserve(peers_.size());
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto peer = it->second.lock();
    if (!peer || peer->peer_closed()) {
      watched_.erase(it->first);
      it = peers_.erase(it);
      continue;
    }
    names.push_back(it->first);
    ++it;
  }
  const auto wanted = watched_peers(self_, std::move(names), watchers_);
  const std::set<std::string> next(wanted.begin(), wanted.end());
  std::vector<Change> changes;
  const uint64_t generation = ++generation_;
  for (const auto& name : next) {
    if (!watched_.contains(name)) changes.push_back({peers_[name].lock(), true, generation});
  }
  for (const auto& name : watched_) {
    if (next.contains(name)) continue;
    auto found = peers_.find(name);
    if (found == peers_.end()) continue;
    if (auto peer = found->second.lock()) changes.push_back({peer, false, generation});
  }
  watched_ = next;
  return changes;
}

void PeerWatch::apply(const std::vector<Change>& changes) {
  for (const auto& change : changes) {
    if (change.peer) change.peer->set_watching(change.watch, change.generation);
  }
}

}  // namespace beamlink::dist
