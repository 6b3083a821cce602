// dist/watch_ring.h - which beamlink peers a node watches closely.
//
// Between beamlink nodes not every pair needs 1 Hz ticks to catch a stopped
// node within 2 s: it is enough that each node is watched closely (fast
// ticks and the phi detector, as before) by `k` others, which then tell the
// rest (peer_watch.h). The assignment is a ring: the node names (this node
// and the beamlink peers it knows) sorted, each node watched by its k
// successors, so each node watches its k predecessors. Every node that knows
// the same set computes the same assignment, and each node watches k and is
// watched by k (fewer when the ring has fewer than k + 1 nodes: then every
// other node).
//
// Pure: no I/O, no state.
#pragma once

#include <string>
#include <vector>

namespace beamlink::dist {

// The peers `self` watches: its `k` predecessors on the sorted ring of
// `self` and `peers` (duplicates and `self` in `peers` are ignored). Sorted.
std::vector<std::string> watched_peers(const std::string& self, std::vector<std::string> peers,
                                       unsigned k);

}  // namespace beamlink::dist
