#include "service/cluster_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace beamlink::service {
namespace {

TEST(ClusterJson, ConnectedPeersAndWantedNodesOnceEachWithoutThisNode) {
  NodeMetrics metrics;
  metrics.dist.connects_outgoing = 2;
  metrics.dist.disconnects = 1;
  metrics.dist.handshake_failures_incoming = 3;
  PeerMetrics b;
  b.peer = "b@h";
  b.messages_received = 5;
  b.messages_sent = 4;
  b.bytes_received = 900;
  b.bytes_sent = 700;
  b.send_queue_bytes = 12;
  b.dropped_overflow = 1;
  b.dropped_busy_timeout = 2;
  PeerMetrics hidden;
  hidden.peer = "cli@h";
  hidden.hidden = true;
  metrics.peers = {b, hidden};
  TopologyStatus one;
  one.name = "static";
  one.strategy = "epmd";
  one.desired = {"a@h", "b@h", "c@h"};
  TopologyStatus two = one;
  two.name = "dns";
  two.desired = {"c@h"};

  auto json = nlohmann::json::parse(cluster_json("a@h", true, metrics, {one, two}));
  EXPECT_EQ(json["node"], "a@h");
  EXPECT_EQ(json["ready"], true);
  EXPECT_EQ(json["dist"]["connects_outgoing"], 2);
  EXPECT_EQ(json["dist"]["disconnects"], 1);
  EXPECT_EQ(json["dist"]["handshake_failures"], 3);
  const auto& nodes = json["nodes"];
  ASSERT_EQ(nodes.size(), 3u) << json.dump();
  EXPECT_EQ(nodes[0]["name"], "b@h");
  EXPECT_EQ(nodes[0]["connected"], true);
  EXPECT_EQ(nodes[0]["messages_in"], 5);
  EXPECT_EQ(nodes[0]["messages_out"], 4);
  EXPECT_EQ(nodes[0]["bytes_in"], 900);
  EXPECT_EQ(nodes[0]["bytes_out"], 700);
  EXPECT_EQ(nodes[0]["queue_bytes"], 12);
  EXPECT_EQ(nodes[0]["dropped"], 3);
  EXPECT_EQ(nodes[0]["topologies"], nlohmann::json({"static"}));
  EXPECT_EQ(nodes[1]["name"], "c@h");
  EXPECT_EQ(nodes[1]["connected"], false);
  EXPECT_EQ(nodes[1]["messages_in"], 0);
  EXPECT_EQ(nodes[1]["topologies"], nlohmann::json({"static", "dns"}));
  EXPECT_EQ(nodes[2]["name"], "cli@h");
  EXPECT_EQ(nodes[2]["hidden"], true);
  EXPECT_TRUE(nodes[2]["topologies"].empty());
  ASSERT_EQ(json["topologies"].size(), 2u);
  EXPECT_EQ(json["topologies"][0]["name"], "static");
  EXPECT_EQ(json["topologies"][0]["desired"].size(), 3u);
}

TEST(ClusterJson, NamesAreEscapedSoTheBodyAlwaysParses) {
  NodeMetrics metrics;
  PeerMetrics odd;
  odd.peer = "we\"ird\n@h";
  metrics.peers = {odd};
  auto json = nlohmann::json::parse(cluster_json("a\"topologies\":@h", false, metrics, {}));
  EXPECT_EQ(json["node"], "a\"topologies\":@h");
  EXPECT_EQ(json["nodes"][0]["name"], "we\"ird\n@h");
  EXPECT_TRUE(json["topologies"].empty());
}

}  // namespace
}  // namespace beamlink::service
