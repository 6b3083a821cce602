// pg scopes of two beamlink nodes on the in-memory network: discovery on
// connect, joins and leaves crossing, member exit, peer loss, named scopes,
// subscriptions (messages and callbacks) and the rpc built-ins.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "beamlink/pg.h"
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

bool has(const std::vector<Pid>& pids, const Pid& pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST(PgNodes, JoinCrossesBothWaysAndMembersVanishWithTheirNode) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto pa = a->spawn();
  auto pb = b->spawn();
  ASSERT_TRUE(a->pg().join(A("g"), pa->pid()));  // before the nodes meet: sync carries it
  ASSERT_TRUE(a->connect("b@host"));
  ASSERT_TRUE(b->pg().join(A("g"), pb->pid()));  // after: a join message carries it
  EXPECT_TRUE(wait_until([&] { return b->pg().get_members(A("g")).size() == 2; }));
  EXPECT_TRUE(wait_until([&] { return a->pg().get_members(A("g")).size() == 2; }));
  EXPECT_EQ(a->pg().get_local_members(A("g")), std::vector<Pid>{pa->pid()});
  EXPECT_EQ(a->pg().which_groups(), std::vector<Term>{A("g")});

  ASSERT_TRUE(b->pg().leave(A("g"), pb->pid()));
  EXPECT_TRUE(wait_until([&] { return a->pg().get_members(A("g")).size() == 1; }));
  EXPECT_FALSE(b->pg().leave(A("g"), pb->pid()));  // not_joined

  pa->exit(A("normal"));  // a member that exits leaves
  EXPECT_TRUE(wait_until([&] { return b->pg().get_members(A("g")).empty(); }));
  EXPECT_TRUE(a->pg().which_groups().empty());

  auto pa2 = a->spawn();
  ASSERT_TRUE(a->pg().join(A("h"), pa2->pid()));
  EXPECT_TRUE(wait_until([&] { return has(b->pg().get_members(A("h")), pa2->pid()); }));
  network.kill_connections("a@host", "connection reset by peer");
  EXPECT_TRUE(wait_until([&] { return b->pg().get_members(A("h")).empty(); }));
}

TEST(PgNodes, NamedScopesAreSeparateAndStartOnDemand) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  ASSERT_TRUE(a->connect("b@host"));
  auto scope_a = a->pg("my_scope");
  ASSERT_TRUE(scope_a);
  auto again = a->pg("my_scope");
  ASSERT_TRUE(again);
  EXPECT_EQ(*scope_a, *again);
  auto p = a->spawn();
  ASSERT_TRUE((*scope_a)->join(A("g"), p->pid()));
  auto scope_b = b->pg("my_scope");  // starts after the join: discovers a's scope
  ASSERT_TRUE(scope_b);
  EXPECT_TRUE(wait_until([&] { return (*scope_b)->get_members(A("g")).size() == 1; }));
  EXPECT_TRUE(b->pg().get_members(A("g")).empty());
  EXPECT_TRUE(a->whereis("my_scope").has_value());
}

TEST(PgNodes, JoinRejectsPidsOfOtherNodes) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto pb = b->spawn();
  auto joined = a->pg().join(A("g"), pb->pid());
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, Errc::invalid_argument);
}

TEST(PgNodes, SubscriptionsByMessageAndByCallback) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  ASSERT_TRUE(a->connect("b@host"));
  auto watcher = a->spawn();
  auto sub = a->pg().monitor(A("g"), watcher->pid());
  ASSERT_TRUE(sub);
  EXPECT_TRUE(sub->members.empty());

  std::mutex mu;
  std::vector<GroupEvent> events;
  std::atomic<int> calls{0};
  auto scope_sub = a->pg().monitor_scope([&](const GroupEvent& e) {
    {
      std::lock_guard lock(mu);
      events.push_back(e);
    }
    if (calls.fetch_add(1) == 0) throw std::runtime_error("user bug");  // caught, kept
  });
  ASSERT_TRUE(scope_sub);

  auto pb = b->spawn();
  ASSERT_TRUE(b->pg().join(A("g"), pb->pid()));
  auto message = watcher->receive(5s);
  ASSERT_TRUE(message);
  EXPECT_EQ(*message, Term::tuple({sub->ref, A("join"), A("g"), Term::list({pb->pid()})}));
  ASSERT_TRUE(b->pg().join(A("other"), pb->pid()));
  EXPECT_TRUE(wait_until([&] { return calls.load() == 2; }));
  pb->exit(A("normal"));
  message = watcher->receive(5s);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->as<Tuple>().elements[1], A("leave"));
  EXPECT_TRUE(wait_until([&] { return calls.load() == 4; }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(events[0].kind, GroupEvent::Kind::join);
    EXPECT_EQ(events[1].group, A("other"));
    EXPECT_EQ(events[3].kind, GroupEvent::Kind::leave);
  }
  EXPECT_TRUE(a->pg().demonitor(scope_sub->ref));
  EXPECT_TRUE(a->pg().demonitor(sub->ref));
  EXPECT_FALSE(a->pg().demonitor(sub->ref));
  auto p = a->spawn();
  ASSERT_TRUE(a->pg().join(A("g"), p->pid()));
  EXPECT_FALSE(watcher->receive(100ms));
  EXPECT_EQ(calls.load(), 4);
}

TEST(PgNodes, RpcBuiltinsAnswerAsPgDoes) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto p = a->spawn();
  ASSERT_TRUE(a->pg().join(A("g"), p->pid()));
  auto named = a->pg("s2");
  ASSERT_TRUE(named);
  ASSERT_TRUE((*named)->join(A("n"), p->pid()));
  auto members = b->rpc("a@host", "pg", "get_members", {A("g")});
  ASSERT_TRUE(members) << members.error().to_string();
  EXPECT_EQ(*members, Term::list({p->pid()}));
  auto scoped = b->rpc("a@host", "pg", "get_local_members", {A("s2"), A("n")});
  ASSERT_TRUE(scoped);
  EXPECT_EQ(*scoped, Term::list({p->pid()}));
  auto unknown_scope = b->rpc("a@host", "pg", "get_members", {A("nope"), A("n")});
  ASSERT_TRUE(unknown_scope);
  EXPECT_EQ(*unknown_scope, Term::list({}));
  auto groups = b->rpc("a@host", "pg", "which_groups", {});
  ASSERT_TRUE(groups);
  EXPECT_EQ(*groups, Term::list({A("g")}));
  auto groups2 = b->rpc("a@host", "pg", "which_groups", {A("s2")});
  ASSERT_TRUE(groups2);
  EXPECT_EQ(*groups2, Term::list({A("n")}));
  EXPECT_FALSE(b->rpc("a@host", "pg", "which_groups", {A("nope")}));
}

TEST(PgNodes, StoppedNodeRefusesCalls) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  ProcessGroups& groups = a->pg();
  auto p = a->spawn();
  a->stop();
  auto joined = groups.join(A("g"), p->pid());
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, Errc::closed);
  EXPECT_FALSE(a->pg("other"));
}

}  // namespace
}  // namespace beamlink::testing

namespace beamlink::testing {
namespace {

TEST(PgNodes, AnExitSignalDoesNotEndTheScope) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto scope_pid = a->whereis("pg");
  ASSERT_TRUE(scope_pid);
  a->exit(*scope_pid, A("boom"));
  ASSERT_TRUE(a->connect("b@host"));
  auto p = a->spawn();
  ASSERT_TRUE(a->pg().join(A("g"), p->pid()));
  EXPECT_TRUE(wait_until([&] { return b->pg().get_members(A("g")).size() == 1; }));
  EXPECT_TRUE(a->alive(*scope_pid));
}

}  // namespace
}  // namespace beamlink::testing
