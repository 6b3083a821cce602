// dist/peer_watch.h - who watches whom among beamlink nodes, and what a
// node does when a watcher reports one dead. (SWIM-like: each node watched
// closely by a few, suspicion spread to the rest, and every receiver
// checks for itself before it drops anyone.)
//
// Why: catching a stopped process within 2 s takes about one message per
// second per watching direction (its kernel still acknowledges, so only the
// process's own bytes prove it alive). With every pair watching each other
// an idle 64-node mesh sends 4,032 ticks a second. Here each beamlink node
// is watched closely by `watchers` peers (watch_ring.h): those get a tick
// every liveness_probe from it and run the phi detector on it, as every
// connection did before; every other beamlink <-> beamlink connection
// ticks at Erlang's pace (ticktime / intensity) and keeps Erlang's
// net_ticktime rule. Peers that never said hello (erl, ei, beamlink nodes
// with the protocol off) keep per-connection probing on both sides.
//
// Protocol (liveness_messages.h), between peers that said hello:
//  * A watcher sends {watch, true} to each peer it watches (and {watch,
//    false} when the ring moves on); a peer ticks every liveness_probe
//    towards those who asked.
//  * When a watcher's detector drops X it tells every other beamlink peer
//    {suspect, X, SilentMs}. Before that, when X first misses a tick and the
//    watcher probes it, the watcher tells them {doubt, X, SilentMs}: they
//    ping X then, so that by the verdict their own ping has been waiting
//    for a while (a doubt alone never drops anyone).
//  * A receiver never drops X on that word alone: it pings X (answered at
//    once, on X's connection, by a tick) and drops X only if nothing at all
//    arrives from X within the confirmation window while it was listening:
//    0.4 liveness_probe after one report, 0.1 once a second watcher has
//    reported X too (the watchers tick on one grid, so their verdicts come
//    together). A live X answers and is kept; a stopped X is dropped by all
//    about liveness_timeout + 0.1-0.4 liveness_probe after its last tick.
//  * Views settle as hellos and connection losses arrive; until a ring
//    assignment has been received by both ends a watcher probes a peer
//    that does not tick fast enough (a probe costs more, never a verdict).
//
// Threading: every member may be called from any thread; the table is
// guarded by a mutex that is never held across a call into a peer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dist/liveness_messages.h"

namespace beamlink::dist {

// A connection as PeerWatch sees it (ConnectionImpl; fakes in tests).
class WatchedPeer {
 public:
  virtual ~WatchedPeer() = default;
  virtual const std::string& peer_name() const = 0;
  virtual bool peer_closed() const = 0;
  // We watch the peer closely (fast ticks expected, detector and probes),
  // as decided by PeerWatch's `generation`-th assignment: an older one
  // arriving late is ignored. The peer is told ({watch, Bool}) when it
  // changes.
  virtual void set_watching(bool on, uint64_t generation) = 0;
  virtual void send_liveness(const LivenessMessage& message) = 0;
  // A suspicion from elsewhere: ping the peer, drop it unless it answers.
  // `verdict`: a watcher dropped it; otherwise only doubts it (a missed
  // tick): ping it, and drop it only if a verdict follows.
  virtual void verify(const std::string& reason, bool verdict) = 0;
};

class PeerWatch {
 public:
  PeerWatch(std::string self, unsigned watchers);

  unsigned watchers() const { return watchers_; }
  // The peer said hello: it takes part.
  void joined(const std::shared_ptr<WatchedPeer>& peer);
  // The peer's connection is gone (any connection: unknown ones are ignored).
  void left(const WatchedPeer& peer);
  // This node's detector dropped `peer`, silent `silent_ms`: tell the others
  // if we were watching it.
  void dropped(const WatchedPeer& peer, bool watching, int64_t silent_ms);
  // A peer we watch missed a tick and is being probed: tell the others.
  void doubted(const WatchedPeer& peer, int64_t silent_ms);
  // `from` reports `message` (a doubt or a suspect).
  void suspected(const WatchedPeer& from, const LivenessMessage& message);

  // For tests and stats: the names watched now, sorted.
  std::vector<std::string> watching() const;

 private:
  // Recomputes the ring and returns the peers to tell (watch, unwatch). REQUIRES: mutex_.
  struct Change {
    std::shared_ptr<WatchedPeer> peer;
    bool watch;
    uint64_t generation;
  };
  std::vector<Change> reassign_locked();
  static void apply(const std::vector<Change>& changes);
  void tell_others(const WatchedPeer& about, LivenessMessage::Kind kind, int64_t silent_ms);

  const std::string self_;
  const unsigned watchers_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<WatchedPeer>> peers_;
  std::set<std::string> watched_;
  uint64_t generation_ = 0;
};

}  // namespace beamlink::dist
