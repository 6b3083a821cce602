// PubSub between two beamlink nodes on the in-memory network: the PG
// adapter's groups, workers and forward_to_local messages.
#include "beamlink/pubsub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "beamlink/pg.h"
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

struct Inbox {
  std::mutex mu;
  std::vector<std::pair<std::string, Term>> got;
  PubSub::Handler handler() {
    return [this](std::string_view topic, const Term& message) {
      std::lock_guard lock(mu);
      got.emplace_back(std::string(topic), message);
    };
  }
  size_t size() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

TEST(PubSubTest, GroupsAndWorkersFollowThePgAdapter) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto ps = PubSub::start(*a, "MyApp.PubSub", 3);
  ASSERT_TRUE(ps) << ps.error().to_string();
  EXPECT_EQ((*ps)->groups(), (std::vector<std::string>{"Elixir.MyApp.PubSub.Adapter",
                                                       "Elixir.MyApp.PubSub.Adapter_2",
                                                       "Elixir.MyApp.PubSub.Adapter_3"}));
  auto scope = a->pg("Elixir.Phoenix.PubSub");
  ASSERT_TRUE(scope);
  for (const std::string& group : (*ps)->groups()) {
    auto worker = a->whereis(group);
    ASSERT_TRUE(worker) << group;
    EXPECT_EQ((*scope)->get_local_members(A(group)), std::vector<Pid>{*worker});
  }
  EXPECT_FALSE(PubSub::start(*a, "Elixir.MyApp.PubSub"));  // the same workers again
  (*ps)->stop();
  EXPECT_TRUE(wait_until([&] { return (*scope)->which_groups().empty(); }));
}

TEST(PubSubTest, TwoNodesExchangeByTopic) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto psa = PubSub::start(*a, "MyApp.PubSub");
  auto psb = PubSub::start(*b, "MyApp.PubSub");
  ASSERT_TRUE(psa && psb);
  ASSERT_TRUE(a->connect("b@host"));
  auto scope = a->pg("Elixir.Phoenix.PubSub");
  ASSERT_TRUE(wait_until(
      [&] { return (*scope)->get_members(A("Elixir.MyApp.PubSub.Adapter")).size() == 2; }));

  Inbox on_b, on_a, other;
  ASSERT_TRUE((*psb)->subscribe("room:1", on_b.handler()));
  ASSERT_TRUE((*psb)->subscribe("room:2", other.handler()));
  ASSERT_TRUE((*psa)->subscribe("room:1", on_a.handler()));
  auto pid_sub = b->spawn();
  ASSERT_TRUE((*psb)->subscribe("room:1", pid_sub->pid()));

  ASSERT_TRUE((*psa)->broadcast("room:1", A("hello")));
  EXPECT_TRUE(wait_until([&] { return on_b.size() == 1 && on_a.size() == 1; }));
  EXPECT_EQ(pid_sub->receive(2s), A("hello"));
  pid_sub->exit(A("normal"));  // its subscription goes with it
  EXPECT_EQ(on_b.got[0], std::make_pair(std::string("room:1"), A("hello")));

  ASSERT_TRUE((*psa)->local_broadcast("room:1", A("local")));
  EXPECT_TRUE(wait_until([&] { return on_a.size() == 2; }));
  ASSERT_TRUE((*psa)->direct_broadcast("b@host", "room:1", A("direct")));
  EXPECT_TRUE(wait_until([&] { return on_b.size() == 2; }));
  EXPECT_EQ(on_b.got[1].second, A("direct"));
  EXPECT_EQ(on_a.size(), 2u);  // the direct broadcast went to b only
  EXPECT_EQ(other.size(), 0u);
}

TEST(PubSubTest, APidSubscriptionEndsWhenThePidExits) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto ps = PubSub::start(*a, "Bus");
  ASSERT_TRUE(ps);
  auto sub = a->spawn();
  auto id = (*ps)->subscribe("t", sub->pid());
  ASSERT_TRUE(id);
  ASSERT_TRUE((*ps)->broadcast("t", Term(1)));
  EXPECT_EQ(sub->receive(2s), Term(1));
  EXPECT_EQ((*ps)->local_subscribers("t"), 1u);
  sub->exit(A("normal"));
  EXPECT_TRUE(wait_until([&] { return (*ps)->local_subscribers("t") == 0; }));
  EXPECT_FALSE((*ps)->unsubscribe(*id));
}

TEST(PubSubTest, ThrowingCallbackIsCountedAndOthersStillGetIt) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto ps = PubSub::start(*a, "Bus");
  ASSERT_TRUE(ps);
  Inbox inbox;
  auto bad = (*ps)->subscribe("t", [](std::string_view, const Term&) { throw 42; });
  ASSERT_TRUE(bad);
  ASSERT_TRUE((*ps)->subscribe("t", inbox.handler()));
  ASSERT_TRUE((*ps)->broadcast("t", Term(1)));
  EXPECT_TRUE(wait_until([&] { return inbox.size() == 1; }));
  EXPECT_EQ((*ps)->callback_errors(), 1u);
  EXPECT_TRUE((*ps)->unsubscribe(*bad));
  EXPECT_FALSE((*ps)->unsubscribe(*bad));
  ASSERT_TRUE((*ps)->broadcast("t", Term(2)));
  EXPECT_TRUE(wait_until([&] { return inbox.size() == 2; }));
  EXPECT_EQ((*ps)->callback_errors(), 1u);
}

}  // namespace
}  // namespace beamlink::testing
