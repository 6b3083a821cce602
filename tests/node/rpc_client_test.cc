// node.ping and node.rpc between two in-memory nodes (the callee's rex
// serves the call).
#include <thread>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

class RpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    b->register_function("calc", "add", [](const std::vector<Term>& args) -> CallResult {
      return Term(args.at(0).as<int64_t>() + args.at(1).as<int64_t>());
    });
    b->register_function("calc", "fails",
                         [](const std::vector<Term>&) { return CallResult::error(A("badarith")); });
    b->register_function("calc", "slow", [](const std::vector<Term>&) -> CallResult {
      std::this_thread::sleep_for(300ms);
      return A("late");
    });
  }
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");
};

TEST_F(RpcClientTest, PingConnectsAndAnswersTrue) {
  EXPECT_TRUE(a->ping("b@host", 2s));
  EXPECT_EQ(a->nodes(), std::vector<std::string>{"b@host"});
  EXPECT_FALSE(a->ping("nowhere@host", 1s));
  EXPECT_TRUE(a->ping("a@host", 1s));
}

TEST_F(RpcClientTest, RpcReturnsTheValue) {
  auto sum = a->rpc("b@host", "calc", "add", {Term(1), Term(2)}, 2s);
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(*sum, Term(3));
  auto name = a->rpc("b@host", "erlang", "node", {}, 2s);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, A("b@host"));
}

TEST_F(RpcClientTest, RpcErrorsAreBadrpc) {
  auto failed = a->rpc("b@host", "calc", "fails", {}, 2s);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::refused);
  EXPECT_NE(failed.error().message.find("badarith"), std::string::npos) << failed.error().message;
  auto undef = a->rpc("b@host", "nomod", "nofun", {}, 2s);
  ASSERT_FALSE(undef);
  EXPECT_NE(undef.error().message.find("undef"), std::string::npos);
}

TEST_F(RpcClientTest, RpcTimesOutAndReportsUnreachableNodes) {
  uint64_t processes = a->stats().processes;
  auto slow = a->rpc("b@host", "calc", "slow", {}, 50ms);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, Errc::timeout);
  auto far = a->rpc("nowhere@host", "calc", "add", {Term(1), Term(2)}, 2s);
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().code, Errc::closed);
  EXPECT_EQ(a->stats().processes, processes);  // the temporary callers are gone
}

TEST_F(RpcClientTest, RpcToItselfRunsLocally) {
  a->register_function("m", "f", [](const std::vector<Term>&) -> CallResult { return A("here"); });
  auto here = a->rpc("a@host", "m", "f", {}, 1s);
  ASSERT_TRUE(here);
  EXPECT_EQ(*here, A("here"));
}

TEST_F(RpcClientTest, ConcurrentRemoteSendersKeepPerSenderOrder) {
  auto sink = b->spawn({.trap_exit = false, .register_as = "sink"});
  constexpr int kThreads = 6;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto sender = a->spawn();
      for (int i = 0; i < kEach; ++i) sender->send("sink", "b@host", T(t, i));
    });
  }
  std::vector<int> next(kThreads, 0);
  for (int n = 0; n < kThreads * kEach; ++n) {
    auto m = sink->receive(5s);
    ASSERT_TRUE(m) << "after " << n;
    const Tuple& t = m->as<Tuple>();
    int sender = static_cast<int>(t.elements[0].as<int64_t>());
    ASSERT_EQ(t.elements[1], Term(next[sender]++));
  }
  for (auto& thread : threads) thread.join();
  // Beside the sink's messages, the pg scopes' and global's handshakes on
  // connect add a few each way.
  EXPECT_GE(a->stats().messages_sent, uint64_t{kThreads * kEach});
  EXPECT_GE(b->stats().messages_received, uint64_t{kThreads * kEach});
  EXPECT_EQ(sink->mailbox_size(), 0u);
}

}  // namespace
}  // namespace beamlink::testing
