// Node events (callbacks and monitor_nodes messages), nodes() and
// disconnect.
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

struct EventLog {
  std::mutex mu;
  std::vector<NodeEvent> events;
  NodeEventHandler handler() {
    return [this](const NodeEvent& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
  }
  size_t size() {
    std::lock_guard lock(mu);
    return events.size();
  }
  NodeEvent at(size_t i) {
    std::lock_guard lock(mu);
    return events.at(i);
  }
};

TEST(NodeMonitorTest, UpAndDownEventsWithReasons) {
  EventLog log;  // outlives the network's thread, which may still report events
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  a->subscribe_node_events(log.handler());
  ASSERT_TRUE(a->connect("b@host"));
  ASSERT_TRUE(wait_until([&] { return log.size() == 1; }));
  EXPECT_EQ(log.at(0).kind, NodeEvent::Kind::up);
  EXPECT_EQ(log.at(0).node, "b@host");
  EXPECT_FALSE(log.at(0).hidden);
  EXPECT_EQ(a->nodes(NodeKind::visible), std::vector<std::string>{"b@host"});
  EXPECT_TRUE(a->nodes(NodeKind::hidden).empty());

  a->disconnect("b@host");
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.at(1).kind, NodeEvent::Kind::down);
  EXPECT_EQ(log.at(1).reason, "disconnect");
  EXPECT_TRUE(a->nodes(NodeKind::all).empty());

  ASSERT_TRUE(a->connect("b@host"));
  network.kill_connections("b@host", "connection reset by peer");
  ASSERT_TRUE(wait_until([&] { return log.size() == 4; }));
  EXPECT_EQ(log.at(3).reason, "connection_closed");
  EXPECT_EQ(log.at(3).detail, "connection reset by peer");
}

TEST(NodeMonitorTest, HiddenNodesAreListedAsHidden) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto h = start_node(network, "h@host", /*hidden=*/true);
  ASSERT_TRUE(h->connect("a@host"));
  EXPECT_TRUE(wait_until([&] { return a->nodes(NodeKind::hidden).size() == 1; }));
  EXPECT_TRUE(a->nodes(NodeKind::visible).empty());
  EXPECT_EQ(a->nodes(NodeKind::all), std::vector<std::string>{"h@host"});
}

TEST(NodeMonitorTest, MonitorNodesSendsErlangShapedMessages) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto p = a->spawn();
  ASSERT_TRUE(a->monitor_nodes(p->pid()));
  ASSERT_TRUE(a->connect("b@host"));
  EXPECT_EQ(p->receive(2s),
            T(A("nodeup"), A("b@host"), Term::list({T(A("node_type"), A("visible"))})));
  network.kill_connections("b@host", "tick timeout");
  EXPECT_EQ(p->receive(2s), T(A("nodedown"), A("b@host"),
                              Term::list({T(A("node_type"), A("visible")),
                                          T(A("nodedown_reason"), A("net_tick_timeout"))})));
  ASSERT_TRUE(a->monitor_nodes(p->pid(), false));
  ASSERT_TRUE(a->connect("b@host"));
  EXPECT_FALSE(p->receive(50ms).has_value());
}

TEST(NodeMonitorTest, StoppingANodeIsSeenByItsPeer) {
  EventLog log;  // outlives the network's thread
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  a->subscribe_node_events(log.handler());
  ASSERT_TRUE(a->connect("b@host"));
  b.reset();
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.at(1).kind, NodeEvent::Kind::down);
  EXPECT_EQ(log.at(1).node, "b@host");
}

}  // namespace
}  // namespace beamlink::testing
