// beamlink/node_metrics.h - a snapshot of what a node measures beyond
// NodeStats: per connection, the distribution's connects and latencies,
// mailboxes and process groups. Node::metrics() takes one; metrics_text()
// (beamlink/metrics.h) renders it for Prometheus.
//
// Contract: plain values, safe to copy between threads. Counters count
// since the node (for PeerMetrics: the connection) started; gauges are
// the value when the snapshot was taken. Cardinality is bounded: mailboxes
// are summed over all processes and listed only for registered names (at
// most kMaxNamedMailboxes), process groups at most kMaxGroupsPerScope per
// scope; what is left out is still in the sums.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace beamlink {

// A latency histogram: counts[i] observations were <= bounds[i] and above
// bounds[i-1] (not cumulative); counts.back() (one more than bounds) those
// above every bound. Seconds.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  double sum = 0;
  uint64_t count = 0;
};

// One live distribution connection.
struct PeerMetrics {
  std::string peer;  // "name@host"
  bool hidden = false;
  uint64_t messages_sent = 0;  // messages queued for the peer
  uint64_t messages_received = 0;
  uint64_t bytes_sent = 0;  // bytes the socket took
  uint64_t bytes_received = 0;
  uint64_t send_queue_bytes = 0;  // queued and not yet taken by the socket
  // Messages dropped on this connection, by cause.
  uint64_t dropped_busy_timeout = 0;  // waited busy_send_timeout on a busy connection
  uint64_t dropped_overflow = 0;      // past the hard cap on a distribution thread
  uint64_t dropped_over_limit = 0;    // received over max_message_size or the budget
  uint64_t busy_refusals = 0;         // send_nosuspend answered busy
};

// The distribution layer, node-wide.
struct DistMetrics {
  uint64_t connects_outgoing = 0;  // connections set up that we dialled
  uint64_t connects_incoming = 0;  // ... that the peer dialled
  uint64_t connect_failures = 0;   // outgoing attempts that ended without a connection
  uint64_t handshake_failures_outgoing = 0;
  uint64_t handshake_failures_incoming = 0;
  uint64_t disconnects = 0;             // connections that went down
  uint64_t failures = 0;                // exceptions caught at a coroutine root or callback
  HistogramSnapshot handshake_seconds;  // handshakes that succeeded, both directions
  HistogramSnapshot connect_seconds;    // outgoing: dial (EPMD, TCP) and handshake
};

inline constexpr size_t kMaxNamedMailboxes = 100;
inline constexpr size_t kMaxGroupsPerScope = 100;

struct NamedMailbox {
  std::string name;  // the registered name
  uint64_t messages = 0;
};

struct MailboxMetrics {
  uint64_t messages = 0;      // queued in all local mailboxes
  uint64_t max_messages = 0;  // in the fullest one
  // The registered processes' mailboxes, by name (the first
  // kMaxNamedMailboxes names in sorted order).
  std::vector<NamedMailbox> named;
};

struct GroupMetrics {
  std::string group;  // the group term as Erlang prints it (~p)
  uint64_t members = 0;
  uint64_t local_members = 0;
};

struct ScopeMetrics {
  std::string scope;
  uint64_t groups = 0;   // all of them, listed or not
  uint64_t members = 0;  // over all groups
  uint64_t local_members = 0;
  std::vector<GroupMetrics> listed;  // the first kMaxGroupsPerScope, sorted
};

struct NodeMetrics {
  DistMetrics dist;
  std::vector<PeerMetrics> peers;  // sorted by name
  MailboxMetrics mailboxes;
  std::vector<ScopeMetrics> scopes;  // sorted by name
};

}  // namespace beamlink
