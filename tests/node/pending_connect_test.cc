// The queue of signals waiting for a connection being set up: bounded per
// node, in order, with whatever does not fit failed as if the node were
// unreachable (and counted), never silently lost.
#include <algorithm>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

std::unique_ptr<Node> start_bounded(FakeNetwork& network, const std::string& name,
                                    size_t max_messages, size_t max_bytes) {
  NodeOptions options;
  options.name = name;
  options.cookie = "secret";
  options.worker_threads = 2;
  options.pending_connect_max_messages = max_messages;
  options.pending_connect_max_bytes = max_bytes;
  auto node = node::start_node(std::move(options), network.factory());
  EXPECT_TRUE(node.has_value());
  return node ? std::move(*node) : nullptr;
}

TEST(PendingConnectTest, OverflowFailsTheSignalAndCountsIt) {
  FakeNetwork network;
  auto a = start_bounded(network, "a@host", 3, 0);
  auto b = start_node(network, "b@host");
  auto receiver = b->spawn();
  auto sender = a->spawn(trapping());
  network.hold_connects(FakeNetwork::Hold::all);
  for (int i = 1; i <= 5; ++i) sender->send(receiver->pid(), Term(i));
  sender->link(receiver->pid());  // does not fit either: EXIT noconnection
  EXPECT_EQ(a->stats().dropped_pending_overflow, 3u);
  EXPECT_EQ(a->stats().dropped_no_connection, 2u);
  EXPECT_EQ(sender->receive(5s), T(A("EXIT"), receiver->pid(), A("noconnection")));
  // (pg and global's nodeup messages, routed before the hand-over, may
  // overflow this tiny bound too.)
  network.release_connects();
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(receiver->receive(5s), Term(i));
  // Up now: no queue, no bound.
  for (int i = 10; i < 20; ++i) sender->send(receiver->pid(), Term(i));
  for (int i = 10; i < 20; ++i) EXPECT_EQ(receiver->receive(5s), Term(i));
  EXPECT_FALSE(receiver->receive(0ms).has_value());
}

TEST(PendingConnectTest, TheByteBoundCountsEncodedSizeAndAlwaysTakesOne) {
  FakeNetwork network;
  auto a = start_bounded(network, "a@host", 0, 4096);
  auto b = start_node(network, "b@host");
  auto receiver = b->spawn();
  auto sender = a->spawn();
  network.hold_connects(FakeNetwork::Hold::all);
  std::string big(10000, 'x');  // over the bound alone: still queued, being first
  sender->send(receiver->pid(), Term::binary(big));
  sender->send(receiver->pid(), A("small"));  // the queue is over: refused
  EXPECT_EQ(a->stats().dropped_pending_overflow, 1u);
  network.release_connects();
  EXPECT_EQ(receiver->receive(5s), Term::binary(big));
  EXPECT_FALSE(receiver->receive(50ms).has_value());
}

TEST(PendingConnectTest, AFailedConnectFailsEverySignalQueued) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto sender = a->spawn(trapping());
  Pid nowhere{Atom("gone@host"), 1, 0, 1};
  sender->send(nowhere, A("lost"));
  sender->link(nowhere);
  Reference ref = sender->monitor(nowhere);
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) got.push_back(text(sender->receive(5s)));
  std::sort(got.begin(), got.end());
  std::vector<std::string> want{text(T(A("DOWN"), ref, A("process"), nowhere, A("noconnection"))),
                                text(T(A("EXIT"), nowhere, A("noconnection")))};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(a->stats().dropped_no_connection, 1u);
}

}  // namespace
}  // namespace beamlink::testing
