// beamlink::PubSub against an Elixir node running a stand-in for
// Phoenix.PubSub 2.x with the PG adapter (Phoenix itself cannot be
// installed here). The stand-in speaks exactly what the real one speaks on
// the wire: pg scope Phoenix.PubSub, groups 'Elixir.MyApp.PubSub.Adapter'
// and '..._2', a worker registered under each group name that takes
// {forward_to_local, Topic, Message, Dispatcher}, a Registry of local
// subscribers, broadcast to the remote members of one group plus local
// dispatch, and direct broadcast to {Group, Node}.
//
// Own EPMD on 127.0.0.1 (ephemeral port), own names and cookie; waits on
// conditions only.
#include "beamlink/pubsub.h"

#include <gtest/gtest.h>

#include <mutex>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/pg.h"
#include "beamlink/term_text.h"
#include "integration/support/erl_peer.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ErlPeer;
using testing::eventually;
using testing::unique_node_name;

Term A(std::string_view name) {
  return Term::atom(name);
}

constexpr const char* kStandIn = R"ex(
defmodule StandIn.Worker do
  use GenServer
  def init({pubsub, group}) do
    :ok = :pg.join(Phoenix.PubSub, group, self())
    {:ok, pubsub}
  end
  def handle_info({:forward_to_local, topic, message, _dispatcher}, pubsub) do
    StandIn.PubSub.local_dispatch(pubsub, topic, message)
    {:noreply, pubsub}
  end
  def handle_info(_, pubsub), do: {:noreply, pubsub}
end

defmodule StandIn.PubSub do
  def start(pubsub, pool_size) do
    case :pg.start(Phoenix.PubSub) do
      {:ok, _} -> :ok
      {:error, {:already_started, _}} -> :ok
    end
    {:ok, _} = Registry.start_link(keys: :duplicate, name: pubsub)
    adapter = Module.concat(pubsub, Adapter)
    groups = [adapter | for(n <- 2..pool_size//1, do: :"#{adapter}_#{n}")]
    :persistent_term.put(adapter, List.to_tuple(groups))
    for group <- groups, do: {:ok, _} = GenServer.start(StandIn.Worker, {pubsub, group}, name: group)
    groups
  end
  def subscribe(pubsub, topic), do: Registry.register(pubsub, topic, nil)
  def local_dispatch(pubsub, topic, message) do
    Registry.dispatch(pubsub, topic, fn entries -> for {pid, _} <- entries, do: send(pid, message) end)
  end
  def broadcast(pubsub, topic, message) do
    groups = :persistent_term.get(Module.concat(pubsub, Adapter))
    group = elem(groups, :erlang.phash2(self(), tuple_size(groups)))
    for pid <- :pg.get_members(Phoenix.PubSub, group), node(pid) != node() do
      send(pid, {:forward_to_local, topic, message, Phoenix.PubSub})
    end
    local_dispatch(pubsub, topic, message)
  end
  def direct_broadcast(pubsub, node, topic, message) do
    send({Module.concat(pubsub, Adapter), node}, {:forward_to_local, topic, message, Phoenix.PubSub})
    :ok
  end
end
:ok
)ex";

// An Elixir subscriber of `topic` that forwards what it gets to arg as
// {got, Message}, after telling arg :subscribed.
std::string subscriber(const std::string& topic) {
  return "collector = arg\n"
         "spawn(fn ->\n"
         "  {:ok, _} = StandIn.PubSub.subscribe(MyApp.PubSub, \"" +
         topic +
         "\")\n"
         "  send(collector, :subscribed)\n"
         "  loop = fn loop -> receive do m -> send(collector, {:got, m}); loop.(loop) end end\n"
         "  loop.(loop)\n"
         "end)";
}

struct Inbox {
  std::mutex mu;
  std::vector<Term> got;
  PubSub::Handler handler() {
    return [this](std::string_view, const Term& message) {
      std::lock_guard lock(mu);
      got.push_back(message);
    };
  }
  std::vector<Term> snapshot() {
    std::lock_guard lock(mu);
    return got;
  }
};

class PubSubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::start_loopback_epmd();
    ASSERT_TRUE(server) << server.error().to_string();
    epmd_ = std::move(*server);
    cookie_ = "pubsub-" + unique_node_name("c");
    node_ = start_node(unique_node_name("us"));
    ASSERT_TRUE(node_);
  }

  std::unique_ptr<Node> start_node(const std::string& alive) {
    auto node = testing::start_loopback_node(alive, cookie_, epmd_->port());
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  // Members of `group` in scope Phoenix.PubSub as `node` sees it.
  static size_t members(Node& node, const std::string& group) {
    auto scope = node.pg("Elixir.Phoenix.PubSub");
    return scope ? (*scope)->get_members(A(group)).size() : 0;
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
  std::unique_ptr<Node> node_;
};

TEST_F(PubSubTest, ElixirAndBeamlinkBroadcastToEachOther) {
  testing::ErlPeerOptions options;
  options.alive = unique_node_name("ex");
  options.cookie = cookie_;
  options.epmd_port = epmd_->port();
  options.elixir = true;
  auto ex = ErlPeer::start(options, *node_);
  ASSERT_TRUE(ex) << ex.error();
  auto groups = ex->eval(*node_, std::string(kStandIn) + "\nStandIn.PubSub.start(MyApp.PubSub, 2)");
  ASSERT_TRUE(groups) << groups.error().to_string();
  EXPECT_EQ(*groups,
            Term::list({A("Elixir.MyApp.PubSub.Adapter"), A("Elixir.MyApp.PubSub.Adapter_2")}));

  auto ps = PubSub::start(*node_, "MyApp.PubSub", 2);
  ASSERT_TRUE(ps) << ps.error().to_string();
  for (const std::string& group : (*ps)->groups()) {
    EXPECT_TRUE(eventually([&] { return members(*node_, group) == 2; })) << group;
    EXPECT_TRUE(eventually([&] {
      auto n = ex->eval(*node_, "length(:pg.get_members(Phoenix.PubSub, :\"" + group + "\"))");
      return n && *n == Term(2);
    })) << group;
  }

  // Elixir -> C++: subscribers of the topic get it, others do not.
  Inbox room1, room2;
  ASSERT_TRUE((*ps)->subscribe("room:1", room1.handler()));
  ASSERT_TRUE((*ps)->subscribe("room:2", room2.handler()));
  ASSERT_TRUE(ex->eval(*node_, "StandIn.PubSub.broadcast(MyApp.PubSub, \"room:1\", {:hello, 1})"));
  EXPECT_TRUE(eventually([&] { return room1.snapshot().size() == 1; }));
  EXPECT_EQ(room1.snapshot().at(0), Term::tuple({A("hello"), Term(1)}));
  ASSERT_TRUE(ex->eval(*node_,
                       "StandIn.PubSub.direct_broadcast(MyApp.PubSub, arg, \"room:1\", :direct)",
                       A(node_->name())));
  EXPECT_TRUE(eventually([&] { return room1.snapshot().size() == 2; }));
  EXPECT_EQ(room1.snapshot().at(1), A("direct"));
  EXPECT_TRUE(room2.snapshot().empty());

  // C++ -> Elixir: a broadcast on room:2 (nobody there) then room:1.
  auto collector = node_->spawn();
  ASSERT_TRUE(collector);
  ASSERT_TRUE(ex->eval(*node_, subscriber("room:1"), Term(collector->pid())));
  ASSERT_EQ(collector->receive(10s), A("subscribed"));
  ASSERT_TRUE((*ps)->broadcast("room:2", A("not_for_room_1")));
  ASSERT_TRUE((*ps)->broadcast("room:1", Term::tuple({A("from_cpp"), Term::binary("hi")})));
  auto got = collector->receive(10s);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, Term::tuple({A("got"), Term::tuple({A("from_cpp"), Term::binary("hi")})}));
  ASSERT_TRUE((*ps)->direct_broadcast(ex->name(), "room:1", A("direct_to_ex")));
  EXPECT_EQ(collector->receive(10s), Term::tuple({A("got"), A("direct_to_ex")}));
  // The C++ broadcast reached the local subscribers too.
  EXPECT_TRUE(eventually([&] { return room2.snapshot().size() == 1; }));

  // Two beamlink nodes exchange through the same groups.
  auto other = start_node(unique_node_name("other"));
  ASSERT_TRUE(other);
  auto ps2 = PubSub::start(*other, "MyApp.PubSub", 2);
  ASSERT_TRUE(ps2);
  Inbox on_other;
  ASSERT_TRUE((*ps2)->subscribe("room:1", on_other.handler()));
  ASSERT_TRUE(other->connect(node_->name()));
  ASSERT_TRUE(other->connect(ex->name()));
  for (const std::string& group : (*ps)->groups()) {
    EXPECT_TRUE(eventually([&] { return members(*other, group) == 3; })) << group;
    EXPECT_TRUE(eventually([&] { return members(*node_, group) == 3; })) << group;
  }
  ASSERT_TRUE((*ps)->broadcast("room:1", A("to_both")));
  EXPECT_TRUE(eventually([&] {
    auto s = on_other.snapshot();
    return !s.empty() && s.back() == A("to_both");
  }));
  EXPECT_EQ(collector->receive(10s), Term::tuple({A("got"), A("to_both")}));
  ASSERT_TRUE(ex->eval(*node_, "StandIn.PubSub.broadcast(MyApp.PubSub, \"room:1\", :from_ex)"));
  EXPECT_TRUE(eventually([&] {
    auto s = on_other.snapshot();
    return !s.empty() && s.back() == A("from_ex");
  }));
  EXPECT_TRUE(eventually([&] { return room1.snapshot().back() == A("from_ex"); }));

  // A stopped PubSub leaves the groups on the Elixir side.
  (*ps2)->stop();
  EXPECT_TRUE(eventually([&] {
    auto n = ex->eval(*node_, "length(:pg.get_members(Phoenix.PubSub, MyApp.PubSub.Adapter))");
    return n && *n == Term(2);
  }));
  EXPECT_EQ((*ps)->callback_errors(), 0u);
}

}  // namespace
}  // namespace beamlink
