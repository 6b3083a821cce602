// Processes on one node: send/receive, names, aliases, handlers, async
// receive and the drop counters.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <future>

#include "beamlink/process_async.h"
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

class LocalMessagingTest : public ::testing::Test {
 protected:
  FakeNetwork network;
  std::unique_ptr<Node> node = start_node(network, "a@host");
};

TEST_F(LocalMessagingTest, PidsAreRealAndDistinct) {
  auto p = node->spawn();
  auto q = node->spawn();
  ASSERT_TRUE(p && q);
  EXPECT_EQ(p->pid().node.name, "a@host");
  EXPECT_EQ(p->pid().creation, node->creation());
  EXPECT_GE(p->pid().id, dist::kFirstProcessId);
  EXPECT_NE(p->pid(), q->pid());
  EXPECT_TRUE(node->alive(p->pid()));
}

TEST_F(LocalMessagingTest, SendAndReceiveInOrder) {
  auto p = node->spawn();
  auto q = node->spawn();
  for (int i = 0; i < 100; ++i) q->send(p->pid(), Term(i));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p->receive(1s), Term(i));
  EXPECT_FALSE(p->receive(20ms).has_value());
  EXPECT_EQ(node->stats().local_messages, 100u);
}

TEST_F(LocalMessagingTest, ReceiveIfIsSelective) {
  auto p = node->spawn();
  node->send(p->pid(), A("first"));
  node->send(p->pid(), T(A("reply"), 1));
  auto reply = p->receive_if([](const Term& t) { return t.is<Tuple>(); }, 1s);
  EXPECT_EQ(reply, T(A("reply"), 1));
  EXPECT_EQ(p->receive(1s), A("first"));
}

TEST_F(LocalMessagingTest, RegisteredNames) {
  auto p = node->spawn();
  ASSERT_TRUE(node->register_name("server", p->pid()));
  EXPECT_EQ(node->whereis("server"), p->pid());
  EXPECT_FALSE(node->register_name("server", node->spawn()->pid()));  // taken
  EXPECT_FALSE(node->register_name("other", p->pid()));               // already named
  node->send("server", "a@host", A("hello"));
  EXPECT_EQ(p->receive(1s), A("hello"));
  auto names = node->registered();
  EXPECT_NE(std::find(names.begin(), names.end(), "net_kernel"), names.end());
  EXPECT_TRUE(node->unregister_name("server"));
  EXPECT_FALSE(node->whereis("server").has_value());
  node->send("server", "a@host", A("lost"));
  EXPECT_EQ(node->stats().dropped_unknown_name, 1u);
}

TEST_F(LocalMessagingTest, NameGoesAwayWhenTheProcessExits) {
  auto p = node->spawn({.register_as = "temp"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(node->whereis("temp").has_value());
  p->exit(A("normal"));
  EXPECT_FALSE(node->whereis("temp").has_value());
  EXPECT_EQ(p->exit_reason(), A("normal"));
  EXPECT_FALSE(node->alive(p->pid()));
}

TEST_F(LocalMessagingTest, DropsToUnknownPidsAreCountedNotFatal) {
  Pid ghost{Atom("a@host"), 30000, 5, node->creation()};
  node->send(ghost, A("x"));
  Pid old_incarnation{Atom("a@host"), 64, 0, node->creation() + 1};
  node->send(old_incarnation, A("x"));
  auto p = node->spawn();
  Pid dead = p->pid();
  *p = Process();  // destroying the handle ends the process
  node->send(dead, A("x"));
  EXPECT_EQ(node->stats().dropped_unknown_pid, 3u);
}

TEST_F(LocalMessagingTest, AliasesRouteUntilRemoved) {
  auto p = node->spawn();
  Reference alias = p->alias();
  node->send_alias(alias, A("via_alias"));
  EXPECT_EQ(p->receive(1s), A("via_alias"));
  p->unalias(alias);
  node->send_alias(alias, A("lost"));
  EXPECT_FALSE(p->receive(20ms).has_value());
  EXPECT_EQ(node->stats().dropped_unknown_alias, 1u);
}

TEST_F(LocalMessagingTest, MakeRefIsUniqueAndLocal) {
  Reference a = node->make_ref();
  Reference b = node->make_ref();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.node.name, "a@host");
  EXPECT_EQ(a.ids.size(), 3u);
  EXPECT_LT(a.ids[0], 1u << 18);
}

TEST_F(LocalMessagingTest, HandlerProcessRunsForEachMessageAndCanReply) {
  auto handler = node->spawn_handler([](Process& self, Term message) {
    const Tuple& t = message.as<Tuple>();
    self.send(t.elements[0].as<Pid>(), T(A("echo"), t.elements[1]));
  });
  ASSERT_TRUE(handler);
  auto client = node->spawn();
  for (int i = 0; i < 50; ++i) client->send(*handler, T(client->pid(), i));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(client->receive(2s), T(A("echo"), i));
}

TEST_F(LocalMessagingTest, HandlerThatThrowsExitsWithTheReason) {
  auto handler = node->spawn_handler([](Process&, Term) { throw std::runtime_error("boom"); });
  auto watcher = node->spawn();
  Reference ref = watcher->monitor(*handler);
  node->send(*handler, A("go"));
  auto down = watcher->receive(2s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->as<Tuple>().elements[1], Term(ref));
  EXPECT_EQ(down->as<Tuple>().elements[4], T(A("cpp_exception"), Term::binary("boom")));
}

TEST_F(LocalMessagingTest, AsyncReceiveCallbackAndTimeout) {
  auto p = node->spawn();
  std::promise<std::optional<Term>> got;
  p->async_receive(5s, [&](std::optional<Term> m) { got.set_value(std::move(m)); });
  node->send(p->pid(), A("async"));
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(), A("async"));

  std::promise<std::optional<Term>> none;
  p->async_receive(20ms, [&](std::optional<Term> m) { none.set_value(std::move(m)); });
  auto timed_out = none.get_future();
  ASSERT_EQ(timed_out.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(timed_out.get().has_value());
}

TEST_F(LocalMessagingTest, AsyncReceiveWithUseAwaitable) {
  auto p = node->spawn();
  asio::io_context io;
  std::optional<Term> received;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        received = co_await async_receive(*p, std::chrono::milliseconds(5000), asio::use_awaitable);
      },
      asio::detached);
  node->send(p->pid(), A("awaited"));
  io.run_for(5s);
  EXPECT_EQ(received, A("awaited"));
}

TEST_F(LocalMessagingTest, ExitEndsPendingAsyncReceive) {
  auto p = node->spawn();
  std::promise<std::optional<Term>> got;
  p->async_receive(kInfinity, [&](std::optional<Term> m) { got.set_value(std::move(m)); });
  p->exit(A("done"));
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(future.get().has_value());
}

TEST_F(LocalMessagingTest, ManyThreadsSendConcurrently) {
  auto p = node->spawn();
  constexpr int kThreads = 8;
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto sender = node->spawn();
      for (int i = 0; i < kEach; ++i) sender->send(p->pid(), T(t, i));
    });
  }
  std::vector<int> next(kThreads, 0);
  for (int n = 0; n < kThreads * kEach; ++n) {
    auto m = p->receive(5s);
    ASSERT_TRUE(m) << "after " << n;
    const Tuple& t = m->as<Tuple>();
    int sender = static_cast<int>(t.elements[0].as<int64_t>());
    EXPECT_EQ(t.elements[1], Term(next[sender]++));  // per-sender order kept
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(node->stats().local_messages, uint64_t{kThreads * kEach});
}

TEST_F(LocalMessagingTest, StopKillsProcessesAndHandlesStayUsable) {
  auto p = node->spawn();
  node->stop();
  EXPECT_FALSE(p->alive());
  EXPECT_EQ(p->exit_reason(), A("shutdown"));
  EXPECT_FALSE(p->receive(10ms).has_value());
  EXPECT_FALSE(node->spawn().has_value());
  node.reset();
  p->send(p->pid(), A("after"));  // harmless
}

}  // namespace
}  // namespace beamlink::testing
