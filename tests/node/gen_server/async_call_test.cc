// Node::call_async: the outcome comes to a callback and no thread waits, so
// a server on a one-worker node can call another server of the same node.
#include <future>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

class Echo final : public GenServer {
 public:
  Reply handle_call(const Term& request, const From&) override {
    if (request.is_atom("never")) return Reply::later();
    return T(A("echo"), request);
  }
};

// Answers every call with what `echo` answers, asked with call_async.
class Proxy final : public GenServer {
 public:
  explicit Proxy(Node& node) : node_(node) {}
  Reply handle_call(const Term& request, const From& from) override {
    node_.call_async(ServerRef::local("echo"), request, 2s,
                     [from](CallReply outcome) { reply(from, outcome ? *outcome : A("failed")); });
    return Reply::later();
  }

 private:
  Node& node_;
};

std::unique_ptr<Node> one_worker_node(FakeNetwork& network, const std::string& name) {
  NodeOptions options;
  options.name = name;
  options.cookie = "secret";
  options.worker_threads = 1;
  auto node = node::start_node(std::move(options), network.factory(1));
  EXPECT_TRUE(node) << node.error().to_string();
  return node ? std::move(*node) : nullptr;
}

std::future<CallReply> call_async(Node& node, const ServerRef& to, Term request,
                                  std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<CallReply>>();
  auto future = promise->get_future();
  node.call_async(to, std::move(request), timeout,
                  [promise](CallReply outcome) { promise->set_value(std::move(outcome)); });
  return future;
}

TEST(AsyncCallTest, ServerCallsAnotherServerOfAOneWorkerNode) {
  FakeNetwork network;
  auto node = one_worker_node(network, "one@host");
  ASSERT_TRUE(node);
  ASSERT_TRUE(node->start_server(std::make_shared<Echo>(), {.register_as = "echo"}));
  ASSERT_TRUE(node->start_server(std::make_shared<Proxy>(*node), {.register_as = "proxy"}));
  const uint64_t processes = node->stats().processes;  // the kernel's, the services', the servers
  auto r = node->call(ServerRef::local("proxy"), A("hi"), 5s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(text(*r), "{echo,hi}");
  EXPECT_TRUE(wait_until([&] { return node->stats().processes == processes; }));  // no callers left
}

TEST(AsyncCallTest, RemoteReplyTimeoutAndNoproc) {
  FakeNetwork network;
  auto a = start_node(network, "a@host");
  auto b = start_node(network, "b@host");
  ASSERT_TRUE(b->start_server(std::make_shared<Echo>(), {.register_as = "echo"}));
  const uint64_t processes = a->stats().processes;
  auto reply = call_async(*a, ServerRef::remote("echo", "b@host"), A("x"), 2s);
  ASSERT_EQ(reply.wait_for(5s), std::future_status::ready);
  auto r = reply.get();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(text(*r), "{echo,x}");

  auto never = call_async(*a, ServerRef::remote("echo", "b@host"), A("never"), 50ms);
  ASSERT_EQ(never.wait_for(5s), std::future_status::ready);
  r = never.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::timeout);

  auto missing = call_async(*a, ServerRef::local("nobody"), A("x"), 2s);
  ASSERT_EQ(missing.wait_for(5s), std::future_status::ready);
  r = missing.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);
  EXPECT_TRUE(wait_until([&] { return a->stats().processes == processes; }));  // no callers left
}

}  // namespace
}  // namespace beamlink::testing
