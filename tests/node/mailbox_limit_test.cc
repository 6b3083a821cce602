// Per-process mailbox limits (SpawnOptions::max_mailbox and the node-wide
// NodeOptions::max_mailbox): drop and count, or kill with mailbox_limit.
#include <latch>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

SpawnOptions limited(size_t messages, MailboxPolicy policy) {
  SpawnOptions options;
  options.max_mailbox = MailboxLimit{messages, policy};
  return options;
}

std::unique_ptr<Node> start_with_default(FakeNetwork& network, const std::string& name,
                                         MailboxLimit limit) {
  NodeOptions options;
  options.name = name;
  options.cookie = "secret";
  options.worker_threads = 2;
  options.max_mailbox = limit;
  auto node = node::start_node(std::move(options), network.factory());
  EXPECT_TRUE(node.has_value());
  return node ? std::move(*node) : nullptr;
}

class MailboxLimitTest : public ::testing::Test {
 protected:
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");
};

TEST_F(MailboxLimitTest, DropPolicyKeepsTheFirstMessagesAndCountsTheRest) {
  auto p = a->spawn(limited(3, MailboxPolicy::drop));
  for (int i = 1; i <= 5; ++i) a->send(p->pid(), Term(i));
  EXPECT_EQ(p->mailbox_size(), 3u);
  EXPECT_EQ(a->stats().dropped_mailbox_full, 2u);
  EXPECT_EQ(a->stats().dropped_unknown_pid, 0u);
  EXPECT_EQ(p->receive(1s), Term(1));
  a->send(p->pid(), Term(6));  // room again
  EXPECT_EQ(p->receive(1s), Term(2));
  EXPECT_EQ(p->receive(1s), Term(3));
  EXPECT_EQ(p->receive(1s), Term(6));
  EXPECT_TRUE(p->alive());
}

TEST_F(MailboxLimitTest, KillPolicyEndsTheProcessWithMailboxLimit) {
  auto p = a->spawn(limited(2, MailboxPolicy::kill));
  auto watcher = a->spawn();
  Reference ref = watcher->monitor(p->pid());
  for (int i = 1; i <= 3; ++i) a->send(p->pid(), Term(i));
  EXPECT_EQ(watcher->receive(5s), T(A("DOWN"), ref, A("process"), p->pid(), A("mailbox_limit")));
  EXPECT_EQ(p->exit_reason(), A("mailbox_limit"));
  EXPECT_EQ(a->stats().mailbox_limit_kills, 1u);
  EXPECT_EQ(a->stats().dropped_mailbox_full, 1u);
}

TEST_F(MailboxLimitTest, MessagesFromAnotherNodeAreBoundToo) {
  auto p = b->spawn(limited(2, MailboxPolicy::drop));
  auto sender = a->spawn();
  for (int i = 1; i <= 4; ++i) sender->send(p->pid(), Term(i));
  ASSERT_TRUE(wait_until([&] { return b->stats().dropped_mailbox_full == 2; }));
  EXPECT_EQ(p->mailbox_size(), 2u);
  EXPECT_EQ(p->receive(1s), Term(1));
  EXPECT_EQ(p->receive(1s), Term(2));
}

TEST_F(MailboxLimitTest, AHandlerProcessCountsMessagesUntilHandled) {
  std::latch release(1);
  std::atomic<int> handled{0};
  auto handler = a->spawn_handler(
      [&](Process&, Term) {
        release.wait();
        ++handled;
      },
      limited(3, MailboxPolicy::drop));
  ASSERT_TRUE(handler);
  // The first is taken by the blocked handler but still counts.
  for (int i = 1; i <= 5; ++i) a->send(*handler, Term(i));
  EXPECT_EQ(a->stats().dropped_mailbox_full, 2u);
  release.count_down();
  EXPECT_TRUE(wait_until([&] { return handled.load() == 3; }));
  a->send(*handler, Term(6));
  EXPECT_TRUE(wait_until([&] { return handled.load() == 4; }));
  EXPECT_EQ(a->stats().dropped_mailbox_full, 2u);
}

TEST_F(MailboxLimitTest, TheNodeDefaultAppliesUnlessASpawnSetsItsOwn) {
  auto c = start_with_default(network, "c@host", MailboxLimit{2, MailboxPolicy::drop});
  auto bounded = c->spawn();
  auto unbounded = c->spawn(limited(0, MailboxPolicy::drop));
  for (int i = 0; i < 4; ++i) {
    c->send(bounded->pid(), Term(i));
    c->send(unbounded->pid(), Term(i));
  }
  EXPECT_EQ(bounded->mailbox_size(), 2u);
  EXPECT_EQ(unbounded->mailbox_size(), 4u);
  EXPECT_EQ(c->stats().dropped_mailbox_full, 2u);
  // The node's own services stay unbound: rpc through rex still answers.
  EXPECT_TRUE(a->ping("c@host"));
}

TEST_F(MailboxLimitTest, NoLimitByDefault) {
  auto p = a->spawn();
  for (int i = 0; i < 10000; ++i) a->send(p->pid(), Term(i));
  EXPECT_EQ(p->mailbox_size(), 10000u);
  EXPECT_EQ(a->stats().dropped_mailbox_full, 0u);
}

}  // namespace
}  // namespace beamlink::testing
