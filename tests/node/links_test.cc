// Links and exit signals, on one node and between two nodes.
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

Term exit_msg(const Pid& from, Term reason) {
  return T(A("EXIT"), from, std::move(reason));
}

class LinksTest : public ::testing::Test {
 protected:
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");
};

TEST_F(LinksTest, TrappingProcessGetsExitMessageFromLocalLink) {
  auto p = a->spawn(trapping());
  auto q = a->spawn();
  p->link(q->pid());
  q->exit(A("crashed"));
  EXPECT_EQ(p->receive(2s), exit_msg(q->pid(), A("crashed")));
  EXPECT_TRUE(p->alive());
}

TEST_F(LinksTest, NonTrappingProcessDiesWithAbnormalReasonAndChainsOn) {
  auto first = a->spawn(trapping());
  auto middle = a->spawn();
  auto last = a->spawn();
  first->link(middle->pid());
  middle->link(last->pid());
  last->exit(A("boom"));
  EXPECT_EQ(first->receive(2s), exit_msg(middle->pid(), A("boom")));
  EXPECT_FALSE(middle->alive());
  EXPECT_EQ(middle->exit_reason(), A("boom"));
}

TEST_F(LinksTest, NormalExitDoesNotKillANonTrappingLink) {
  auto p = a->spawn();
  auto q = a->spawn();
  p->link(q->pid());
  q->exit(A("normal"));
  EXPECT_TRUE(p->alive());
}

TEST_F(LinksTest, LinkToADeadProcessGivesNoproc) {
  auto p = a->spawn(trapping());
  Pid dead = a->spawn()->pid();  // the temporary handle ends it at once
  p->link(dead);
  EXPECT_EQ(p->receive(2s), exit_msg(dead, A("noproc")));
}

TEST_F(LinksTest, UnlinkStopsPropagation) {
  auto p = a->spawn(trapping());
  auto q = a->spawn();
  p->link(q->pid());
  p->unlink(q->pid());
  q->exit(A("crashed"));
  EXPECT_FALSE(p->receive(50ms).has_value());
}

TEST_F(LinksTest, ExitSignalKillIsUntrappableAndOthersAreTrapped) {
  auto p = a->spawn(trapping());
  auto sender = a->spawn();
  sender->exit_signal(p->pid(), A("please"));
  EXPECT_EQ(p->receive(2s), exit_msg(sender->pid(), A("please")));
  sender->exit_signal(p->pid(), A("kill"));
  EXPECT_FALSE(p->alive());
  EXPECT_EQ(p->exit_reason(), A("killed"));
}

TEST_F(LinksTest, ExitSignalNormalIsIgnoredByOthers) {
  auto p = a->spawn();
  a->exit(p->pid(), A("normal"));
  EXPECT_TRUE(p->alive());
  a->exit(p->pid(), A("shutdown"));
  EXPECT_FALSE(p->alive());
}

TEST_F(LinksTest, RemoteLinkPropagatesExitBothWays) {
  auto pa = a->spawn(trapping());
  auto pb = b->spawn(trapping());
  // Connected first: a signal to a node not yet connected waits for the
  // connect on another thread, and flush() below would not wait for it.
  ASSERT_TRUE(a->connect("b@host"));
  pa->link(pb->pid());
  network.flush();  // LINK delivered
  pb->exit(A("remote_crash"));
  EXPECT_EQ(pa->receive(2s), exit_msg(pb->pid(), A("remote_crash")));

  auto qb = b->spawn();  // not trapping: dies with the abnormal reason
  pa->link(qb->pid());
  network.flush();
  pa->exit(A("bye"));
  EXPECT_TRUE(wait_until([&] { return !qb->alive(); }));
  EXPECT_EQ(qb->exit_reason(), A("bye"));
}

TEST_F(LinksTest, RemoteUnlinkUsesUnlinkIdAndAck) {
  auto pa = a->spawn(trapping());
  auto pb = b->spawn(trapping());
  pa->link(pb->pid());
  network.flush();
  pa->unlink(pb->pid());
  network.flush();
  network.flush();  // UNLINK_ID, then UNLINK_ID_ACK
  pb->exit(A("after_unlink"));
  EXPECT_FALSE(pa->receive(100ms).has_value());
}

TEST_F(LinksTest, RemoteLinkToMissingProcessGivesNoproc) {
  auto pa = a->spawn(trapping());
  Pid ghost{Atom("b@host"), 30000, 1, b->creation()};
  pa->link(ghost);
  EXPECT_EQ(pa->receive(2s), exit_msg(ghost, A("noproc")));
}

TEST_F(LinksTest, LinkToUnreachableNodeGivesNoconnection) {
  auto pa = a->spawn(trapping());
  Pid far{Atom("nowhere@host"), 100, 0, 1};
  pa->link(far);
  EXPECT_EQ(pa->receive(2s), exit_msg(far, A("noconnection")));
}

TEST_F(LinksTest, ConnectionLossBreaksLinksWithNoconnection) {
  auto pa = a->spawn(trapping());
  auto pa2 = a->spawn();
  auto pb = b->spawn();
  pa->link(pb->pid());
  pa2->link(pb->pid());
  network.flush();
  network.kill_connections("b@host", "connection closed");
  EXPECT_EQ(pa->receive(2s), exit_msg(pb->pid(), A("noconnection")));
  EXPECT_TRUE(wait_until([&] { return !pa2->alive(); }));
  EXPECT_EQ(pa2->exit_reason(), A("noconnection"));
}

}  // namespace
}  // namespace beamlink::testing
