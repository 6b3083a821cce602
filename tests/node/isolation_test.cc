// User callbacks that throw (logger, node-event handlers, rpc functions,
// message handlers, receive handlers) are logged and counted; the process
// that ran them is torn down where that makes sense, and the node keeps
// serving. Callbacks may re-enter the node's API (no lock is held).
#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

std::unique_ptr<Node> start_with_logger(FakeNetwork& network, const std::string& name,
                                        Logger logger) {
  NodeOptions options;
  options.name = name;
  options.cookie = "secret";
  options.worker_threads = 2;
  options.logger = std::move(logger);
  auto node = node::start_node(std::move(options), network.factory());
  EXPECT_TRUE(node.has_value());
  return node ? std::move(*node) : nullptr;
}

// Whether `node` still routes a round trip to `peer` and back.
bool serves(Node& node, Node& peer) {
  auto echo = peer.spawn_handler([](Process& self, Term message) {
    const auto& e = message.as<Tuple>().elements;
    self.send(e[0].as<Pid>(), e[1]);
  });
  auto me = node.spawn();
  if (!echo || !me) return false;
  me->send(*echo, T(me->pid(), A("ping")));
  return me->receive(5s) == A("ping");
}

struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  Logger logger() {
    return [this](LogLevel, std::string_view, std::string_view line) {
      std::lock_guard lock(mu);
      lines.emplace_back(line);
    };
  }
  bool has(std::string_view part) {
    std::lock_guard lock(mu);
    for (const auto& line : lines) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

TEST(IsolationTest, AThrowingLoggerIsCountedAndTheNodeServes) {
  FakeNetwork network;
  std::atomic<int> calls{0};
  auto a = start_with_logger(network, "a@host", [&](LogLevel, std::string_view, std::string_view) {
    ++calls;
    throw std::runtime_error("logger broke");
  });
  auto b = start_node(network, "b@host");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->connect("b@host"));  // logs nodeup
  EXPECT_TRUE(serves(*a, *b));
  EXPECT_TRUE(serves(*b, *a));
  EXPECT_GE(calls.load(), 1);
  EXPECT_EQ(a->stats().callback_exceptions, static_cast<uint64_t>(calls.load()));
}

TEST(IsolationTest, AThrowingNodeEventHandlerDoesNotStopTheOthers) {
  FakeNetwork network;
  Logged logged;
  auto a = start_with_logger(network, "a@host", logged.logger());
  auto b = start_node(network, "b@host");
  a->subscribe_node_events([](const NodeEvent&) { throw std::runtime_error("handler broke"); });
  std::atomic<int> ups{0};
  a->subscribe_node_events([&](const NodeEvent& e) {
    if (e.kind == NodeEvent::Kind::up) ++ups;
  });
  ASSERT_TRUE(a->connect("b@host"));
  EXPECT_TRUE(wait_until([&] { return ups.load() == 1; }));
  EXPECT_EQ(a->stats().callback_exceptions, 1u);
  EXPECT_TRUE(logged.has("node event handler threw: handler broke"));
  EXPECT_TRUE(serves(*a, *b));
}

TEST(IsolationTest, AThrowingRpcFunctionAnswersAnErrorAndIsCounted) {
  FakeNetwork network;
  Logged logged;
  auto a = start_node(network, "a@host");
  auto b = start_with_logger(network, "b@host", logged.logger());
  b->register_function("cpp", "boom", [](const std::vector<Term>&) -> CallResult {
    throw std::runtime_error("rpc broke");
  });
  b->register_function("cpp", "ok",
                       [](const std::vector<Term>&) { return CallResult::value(A("fine")); });
  auto result = a->rpc("b@host", "cpp", "boom", {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().to_string().find("rpc broke"), std::string::npos)
      << result.error().to_string();
  EXPECT_EQ(b->stats().callback_exceptions, 1u);
  EXPECT_TRUE(logged.has("cpp:boom threw: rpc broke"));
  EXPECT_EQ(a->rpc("b@host", "cpp", "ok", {}), A("fine"));
}

TEST(IsolationTest, AThrowingMessageHandlerEndsItsProcessWithCppException) {
  FakeNetwork network;
  Logged logged;
  auto a = start_with_logger(network, "a@host", logged.logger());
  auto b = start_node(network, "b@host");
  auto handler = a->spawn_handler([](Process&, Term message) {
    if (message.is_atom("throw")) throw std::runtime_error("handler broke");
  });
  ASSERT_TRUE(handler);
  auto watcher = a->spawn();
  Reference ref = watcher->monitor(*handler);
  a->send(*handler, A("fine"));
  a->send(*handler, A("throw"));
  EXPECT_EQ(text(watcher->receive(5s)),
            text(T(A("DOWN"), ref, A("process"), *handler,
                   T(A("cpp_exception"), Term::binary("handler broke")))));
  EXPECT_EQ(a->stats().callback_exceptions, 1u);
  EXPECT_TRUE(logged.has("handler broke"));
  EXPECT_TRUE(serves(*a, *b));
  EXPECT_TRUE(serves(*b, *a));
}

TEST(IsolationTest, AThrowingReceiveHandlerLeavesTheWorkersRunning) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto p = a->spawn();
  // A message, a timeout: both run the handler on a worker, both throw.
  p->async_receive(kInfinity, [](std::optional<Term>) { throw std::runtime_error("first"); });
  a->send(p->pid(), A("one"));
  p->async_receive(1ms, [](std::optional<Term>) { throw 42; });
  EXPECT_TRUE(wait_until([&] { return a->stats().callback_exceptions == 2; }));
  std::promise<std::optional<Term>> got;
  p->async_receive(kInfinity, [&](std::optional<Term> message) { got.set_value(message); });
  a->send(p->pid(), A("two"));
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(), A("two"));
  EXPECT_TRUE(serves(*a, *b));
}

// ---- No lock held across a user callback: callbacks that call back in ----

TEST(IsolationTest, ASelectiveReceiveMatchMayAskTheMailboxAndSend) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto p = a->spawn();
  a->send(p->pid(), A("skip"));
  a->send(p->pid(), A("take"));
  size_t seen_size = 0;
  auto got = p->receive_if(
      [&](const Term& message) {
        seen_size = p->mailbox_size();       // would deadlock on the receiver's lock
        p->send(p->pid(), A("from_match"));  // and so would a push under it
        return message.is_atom("take");
      },
      5s);
  EXPECT_EQ(got, A("take"));
  EXPECT_GE(seen_size, 2u);
  EXPECT_EQ(p->receive(1s), A("skip"));
}

TEST(IsolationTest, ANodeEventHandlerMayUseTheNode) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  auto p = a->spawn();
  std::atomic<uint64_t> inner_id{0};
  a->subscribe_node_events([&](const NodeEvent& e) {
    if (e.kind != NodeEvent::Kind::up) return;
    // Subscribing, listing nodes and sending from inside a handler.
    inner_id = a->subscribe_node_events([](const NodeEvent&) {});
    a->send(p->pid(), T(A("up"), Term(static_cast<int64_t>(a->nodes().size()))));
  });
  ASSERT_TRUE(a->connect("b@host"));
  EXPECT_EQ(p->receive(5s), T(A("up"), 1));
  EXPECT_NE(inner_id.load(), 0u);
}

TEST(IsolationTest, AMessageHandlerMayUseItsOwnProcessAndTheNode) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto p = a->spawn();
  auto handler = a->spawn_handler([&](Process& self, Term message) {
    // Its mailbox, a monitor of itself, a registration and a send.
    size_t queued = self.mailbox_size();
    Reference ref = self.monitor(self.pid());
    self.demonitor(ref);
    (void)a->register_name("reentrant", self.pid());
    self.send(p->pid(), T(message, Term(static_cast<uint64_t>(queued))));
  });
  ASSERT_TRUE(handler);
  a->send(*handler, A("hello"));
  auto reply = p->receive(5s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->as<Tuple>().elements[0], A("hello"));
  EXPECT_EQ(a->whereis("reentrant"), *handler);
}

}  // namespace
}  // namespace beamlink::testing
