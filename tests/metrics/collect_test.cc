#include "metrics/collect.h"

#include <gtest/gtest.h>

#include "metrics/text_format.h"

namespace beamlink::metrics {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

NodeMetrics two_peers() {
  NodeMetrics m;
  m.dist.connects_outgoing = 1;
  m.dist.connects_incoming = 1;
  m.dist.handshake_seconds = HistogramSnapshot{{0.001, 0.01}, {1, 1, 0}, 0.006, 2};
  m.dist.connect_seconds = HistogramSnapshot{{0.001, 0.01}, {0, 1, 0}, 0.004, 1};
  PeerMetrics a;
  a.peer = "a@127.0.0.1";
  a.messages_sent = 3;
  a.bytes_received = 120;
  a.send_queue_bytes = 64;
  a.dropped_busy_timeout = 2;
  PeerMetrics b;
  b.peer = "b@127.0.0.1";
  m.peers = {a, b};
  m.mailboxes = MailboxMetrics{7, 5, {{"rex", 0}, {"worker", 5}}};
  m.scopes = {ScopeMetrics{"pg", 2, 3, 1, {{"'jobs'", 2, 1}, {"'topic'", 1, 0}}}};
  return m;
}

TEST(Collect, ExportsNodeConnectionMailboxAndScopeMetrics) {
  NodeStats stats;
  stats.connections = 2;
  stats.processes = 9;
  stats.messages_sent = 11;
  stats.dropped_mailbox_full = 4;
  Registry registry;
  collect_node("n@127.0.0.1", stats, two_peers(), registry);
  const std::string text = encode_text(registry);
  EXPECT_TRUE(has_line(text, "beamlink_node_info{node=\"n@127.0.0.1\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_connections 2")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_processes 9")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_messages_sent_total 11")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_messages_dropped_total{cause=\"mailbox_full\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_dist_connects_total{direction=\"incoming\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_dist_handshake_duration_seconds_bucket{le=\"0.01\"} 2"))
      << text;
  EXPECT_TRUE(has_line(text, "beamlink_dist_connect_duration_seconds_count 1")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_peer_messages_sent_total{peer=\"a@127.0.0.1\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_peer_bytes_received_total{peer=\"a@127.0.0.1\"} 120"))
      << text;
  EXPECT_TRUE(has_line(text, "beamlink_peer_send_queue_bytes{peer=\"a@127.0.0.1\"} 64")) << text;
  EXPECT_TRUE(has_line(
      text, "beamlink_peer_messages_dropped_total{peer=\"a@127.0.0.1\",cause=\"busy_timeout\"} 2"))
      << text;
  EXPECT_TRUE(has_line(text, "beamlink_peer_send_queue_bytes{peer=\"b@127.0.0.1\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_mailbox_messages 7")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_mailbox_messages_max 5")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_registered_mailbox_messages{name=\"worker\"} 5")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_pg_groups{scope=\"pg\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_pg_group_members{scope=\"pg\",group=\"'jobs'\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "beamlink_pg_group_local_members{scope=\"pg\",group=\"'jobs'\"} 1"))
      << text;
}

TEST(Collect, EveryFamilyHasHelpAndCountersEndInTotal) {
  Registry registry;
  collect_node("n@h", NodeStats{}, two_peers(), registry);
  TopologyStatus topology;
  topology.name = "local";
  topology.strategy = "epmd";
  topology.desired = {"a@h", "b@h"};
  collect_cluster(true, {topology}, registry);
  for (const auto& [name, family] : registry.families()) {
    EXPECT_FALSE(family.help.empty()) << name;
    EXPECT_TRUE(name.starts_with("beamlink_")) << name;
    EXPECT_EQ(family.type == Type::counter, name.ends_with("_total")) << name;
  }
}

TEST(Collect, ExportsTopologiesWithTheirStrategy) {
  TopologyStatus topology;
  topology.name = "local";
  topology.strategy = "epmd";
  topology.desired = {"a@h", "b@h"};
  topology.discovery_errors = 3;
  Registry registry;
  collect_cluster(false, {topology}, registry);
  const std::string text = encode_text(registry);
  EXPECT_TRUE(has_line(text, "beamlink_cluster_ready 0")) << text;
  EXPECT_TRUE(
      has_line(text, "beamlink_topology_desired_nodes{topology=\"local\",strategy=\"epmd\"} 2"))
      << text;
  EXPECT_TRUE(has_line(
      text, "beamlink_topology_discovery_errors_total{topology=\"local\",strategy=\"epmd\"} 3"))
      << text;
}

TEST(Collect, SameSnapshotGivesTheSameText) {
  Registry first;
  Registry second;
  collect_node("n@h", NodeStats{}, two_peers(), first);
  collect_node("n@h", NodeStats{}, two_peers(), second);
  EXPECT_EQ(encode_text(first), encode_text(second));
}

}  // namespace
}  // namespace beamlink::metrics
