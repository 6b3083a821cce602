#include "metrics/collect.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace beamlink::metrics {
namespace {

double num(uint64_t value) {
  return static_cast<double>(value);
}

using Causes = std::initializer_list<std::pair<const char*, uint64_t>>;

// One counter per cause, each with `labels` and cause="...".
void by_cause(Registry& r, std::string_view name, std::string_view help, const Labels& labels,
              Causes causes) {
  for (const auto& [cause, count] : causes) {
    Labels with_cause = labels;
    with_cause.push_back({"cause", cause});
    r.counter(name, help, std::move(with_cause), num(count));
  }
}

void collect_node_stats(const NodeStats& s, Registry& r) {
  r.counter("beamlink_messages_sent_total", "Messages sent to other nodes.", {},
            num(s.messages_sent));
  r.counter("beamlink_messages_received_total",
            "Messages received from other nodes and put in a mailbox.", {},
            num(s.messages_received));
  r.counter("beamlink_local_messages_total", "Messages delivered on this node without the network.",
            {}, num(s.local_messages));
  by_cause(r, "beamlink_messages_dropped_total", "Messages dropped by this node, by cause.", {},
           {
               {"unknown_pid", s.dropped_unknown_pid},
               {"unknown_name", s.dropped_unknown_name},
               {"unknown_alias", s.dropped_unknown_alias},
               {"no_connection", s.dropped_no_connection},
               {"control", s.dropped_control},
               {"kernel_request", s.dropped_kernel_requests},
               {"over_limit", s.dropped_over_limit},
               {"pending_overflow", s.dropped_pending_overflow},
               {"mailbox_full", s.dropped_mailbox_full},
               {"busy", s.dropped_busy},
           });
  by_cause(r, "beamlink_dropped_bytes_total",
           "Bytes of received messages discarded over a size limit, by cause.", {},
           {{"over_limit", s.dropped_over_limit_bytes}});
  r.counter("beamlink_busy_refusals_total", "Sends send_nosuspend refused on a busy connection.",
            {}, num(s.busy_refused));
  r.counter("beamlink_mailbox_limit_kills_total",
            "Processes killed for going over their mailbox limit.", {}, num(s.mailbox_limit_kills));
  r.counter("beamlink_callback_exceptions_total", "User callbacks that threw.", {},
            num(s.callback_exceptions));
  r.gauge("beamlink_processes", "Local processes alive.", {}, num(s.processes));
  r.gauge("beamlink_connections", "Distribution connections up.", {}, num(s.connections));
}

void collect_dist(const DistMetrics& d, Registry& r) {
  r.counter("beamlink_dist_connects_total", "Distribution connections set up, by who dialled.",
            {{"direction", "outgoing"}}, num(d.connects_outgoing));
  r.counter("beamlink_dist_connects_total", "", {{"direction", "incoming"}},
            num(d.connects_incoming));
  r.counter("beamlink_dist_connect_failures_total",
            "Outgoing connection attempts that ended without a connection.", {},
            num(d.connect_failures));
  r.counter("beamlink_dist_handshake_failures_total",
            "Distribution handshakes that failed (wrong cookie, bad message, timeout).",
            {{"direction", "outgoing"}}, num(d.handshake_failures_outgoing));
  r.counter("beamlink_dist_handshake_failures_total", "", {{"direction", "incoming"}},
            num(d.handshake_failures_incoming));
  r.counter("beamlink_dist_disconnects_total", "Distribution connections that went down.", {},
            num(d.disconnects));
  r.counter("beamlink_dist_failures_total",
            "Exceptions caught in the distribution layer (each logged).", {}, num(d.failures));
  r.histogram("beamlink_dist_handshake_duration_seconds",
              "Duration of successful distribution handshakes, both directions.", {},
              d.handshake_seconds);
  r.histogram("beamlink_dist_connect_duration_seconds",
              "Duration of successful outgoing connects: EPMD lookup, TCP connect and handshake.",
              {}, d.connect_seconds);
}

void collect_peer(const PeerMetrics& p, Registry& r) {
  const Labels peer{{"peer", p.peer}};
  r.counter("beamlink_peer_messages_sent_total", "Messages queued for the peer.", peer,
            num(p.messages_sent));
  r.counter("beamlink_peer_messages_received_total", "Messages received from the peer.", peer,
            num(p.messages_received));
  r.counter("beamlink_peer_bytes_sent_total", "Bytes written to the peer's socket.", peer,
            num(p.bytes_sent));
  r.counter("beamlink_peer_bytes_received_total", "Bytes read from the peer's socket.", peer,
            num(p.bytes_received));
  r.gauge("beamlink_peer_send_queue_bytes", "Bytes queued for the peer, not yet written.", peer,
          num(p.send_queue_bytes));
  by_cause(r, "beamlink_peer_messages_dropped_total",
           "Messages dropped on the connection, by cause.", peer,
           {
               {"busy_timeout", p.dropped_busy_timeout},
               {"overflow", p.dropped_overflow},
               {"over_limit", p.dropped_over_limit},
           });
  r.counter("beamlink_peer_busy_refusals_total",
            "Sends to the peer send_nosuspend refused while the connection was busy.", peer,
            num(p.busy_refusals));
}

void collect_mailboxes(const MailboxMetrics& m, Registry& r) {
  r.gauge("beamlink_mailbox_messages", "Messages queued in all local mailboxes.", {},
          num(m.messages));
  r.gauge("beamlink_mailbox_messages_max", "Messages queued in the fullest local mailbox.", {},
          num(m.max_messages));
  for (const NamedMailbox& named : m.named) {
    r.gauge("beamlink_registered_mailbox_messages",
            "Messages queued in a registered process's mailbox, by registered name.",
            {{"name", named.name}}, num(named.messages));
  }
}

void collect_scope(const ScopeMetrics& s, Registry& r) {
  const Labels scope{{"scope", s.scope}};
  r.gauge("beamlink_pg_groups", "Process groups known in the scope, cluster-wide.", scope,
          num(s.groups));
  r.gauge("beamlink_pg_scope_members", "Members of all groups of the scope, cluster-wide.", scope,
          num(s.members));
  r.gauge("beamlink_pg_scope_local_members", "Members of all groups of the scope on this node.",
          scope, num(s.local_members));
  for (const GroupMetrics& g : s.listed) {
    const Labels group{{"scope", s.scope}, {"group", g.group}};
    r.gauge("beamlink_pg_group_members", "Members of the group, cluster-wide.", group,
            num(g.members));
    r.gauge("beamlink_pg_group_local_members", "Members of the group on this node.", group,
            num(g.local_members));
  }
}

}  // namespace

void collect_node(std::string_view node_name, const NodeStats& stats, const NodeMetrics& metrics,
                  Registry& registry) {
  registry.gauge("beamlink_node_info", "Always 1; the node's name as a label.",
                 {{"node", std::string(node_name)}}, 1);
  collect_node_stats(stats, registry);
  collect_dist(metrics.dist, registry);
  for (const PeerMetrics& peer : metrics.peers) collect_peer(peer, registry);
  collect_mailboxes(metrics.mailboxes, registry);
  for (const ScopeMetrics& scope : metrics.scopes) collect_scope(scope, registry);
}

void collect_cluster(bool ready, const std::vector<TopologyStatus>& topologies,
                     Registry& registry) {
  registry.gauge("beamlink_cluster_ready", "1 once the cluster's startup wait is over, else 0.", {},
                 ready ? 1 : 0);
  for (const TopologyStatus& t : topologies) {
    const Labels labels{{"topology", t.name}, {"strategy", t.strategy}};
    registry.gauge("beamlink_topology_desired_nodes",
                   "Nodes the topology's strategy last reported.", labels, num(t.desired.size()));
    registry.counter("beamlink_topology_connects_total",
                     "Successful connects made by the topology.", labels, num(t.connects));
    registry.counter("beamlink_topology_connect_failures_total",
                     "Failed connects made by the topology.", labels, num(t.connect_failures));
    registry.counter("beamlink_topology_disconnects_total",
                     "Nodes disconnected because they left the topology's set.", labels,
                     num(t.disconnects));
    registry.counter("beamlink_topology_discovery_errors_total",
                     "Failed discovery lookups (the last set was kept).", labels,
                     num(t.discovery_errors));
    registry.counter("beamlink_topology_dropped_packets_total",
                     "Strategy input refused (gossip: bad packets).", labels,
                     num(t.dropped_packets));
  }
}

}  // namespace beamlink::metrics
