// The order of signals from one process to another: messages, links,
// unlinks, monitors, demonitors and exit signals arrive in the order they
// were issued, on one node and between two, whether the connection is up,
// not yet up, or up but with earlier signals still waiting to be handed
// to it.
#include <thread>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

Term m(int i) {
  return T(A("m"), i);
}

Term exit_msg(const Pid& from, Term reason) {
  return T(A("EXIT"), from, std::move(reason));
}

// Everything a process can tell another, interleaved. A link EXIT that
// overtook the messages, or an unlink or demonitor that overtook the link
// or monitor before it, shows in what `to` receives or keeps.
void interleave(Process& from, const Pid& to) {
  from.send(to, m(1));
  from.link(to);
  from.send(to, m(2));
  from.unlink(to);
  from.send(to, m(3));
  from.link(to);
  Reference monitor = from.monitor(to);
  from.send(to, m(4));
  from.demonitor(monitor);
  from.exit_signal(to, T(A("sig"), 1));
  from.send(to, m(5));
  from.exit(A("boom"));  // the link's EXIT goes last
}

std::vector<Term> expected(const Pid& from) {
  return {m(1), m(2), m(3), m(4), exit_msg(from, T(A("sig"), 1)), m(5), exit_msg(from, A("boom"))};
}

std::vector<std::string> receive_all(Process& p, size_t n) {
  std::vector<std::string> got;
  while (got.size() < n) {
    auto message = p.receive(5s);
    if (!message) break;
    got.push_back(text(message));
  }
  return got;
}

std::vector<std::string> texts(const std::vector<Term>& terms) {
  std::vector<std::string> out;
  for (const Term& t : terms) out.push_back(text(t));
  return out;
}

// monitored_by of `pid` as the node that runs it reports it.
Term monitored_by(Node& asker, const Pid& pid) {
  auto info = asker.rpc(pid.node.name, "erlang", "process_info", {Term(pid), A("monitored_by")});
  return info ? *info : A("rpc_failed");
}

class SignalOrderTest : public ::testing::Test {
 protected:
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");

  void check_remote_order(FakeNetwork::Hold hold) {
    auto receiver = b->spawn(trapping());
    ASSERT_TRUE(receiver);
    auto sender = a->spawn();
    ASSERT_TRUE(sender);
    Pid from = sender->pid();
    network.hold_connects(hold);
    if (hold == FakeNetwork::Hold::done) {
      // Up, but the connect's completion (which hands over what waited) held.
      sender->send(receiver->pid(), m(0));
      ASSERT_TRUE(wait_until([&] { return a->nodes().size() == 1; }));
    }
    interleave(*sender, receiver->pid());
    if (hold != FakeNetwork::Hold::none) {
      EXPECT_EQ(network.held_connects(), 1u);
      network.release_connects();
    }
    std::vector<std::string> want = texts(expected(from));
    if (hold == FakeNetwork::Hold::done) want.insert(want.begin(), text(m(0)));
    EXPECT_EQ(receive_all(*receiver, want.size()), want);
    EXPECT_EQ(text(monitored_by(*a, receiver->pid())), "{monitored_by,[]}");
    EXPECT_TRUE(receiver->alive());
  }
};

TEST_F(SignalOrderTest, RemoteSignalsKeepTheirOrderOnAConnectedPeer) {
  ASSERT_TRUE(a->connect("b@host"));
  check_remote_order(FakeNetwork::Hold::none);
}

TEST_F(SignalOrderTest, RemoteSignalsKeepTheirOrderWhileTheConnectionIsSetUp) {
  check_remote_order(FakeNetwork::Hold::all);
}

TEST_F(SignalOrderTest, RemoteSignalsKeepTheirOrderWhileWaitingSignalsAreHandedOver) {
  check_remote_order(FakeNetwork::Hold::done);
}

TEST_F(SignalOrderTest, LocalSignalsKeepTheirOrder) {
  auto receiver = a->spawn(trapping());
  auto sender = a->spawn();
  Pid from = sender->pid();
  interleave(*sender, receiver->pid());
  std::vector<std::string> want = texts(expected(from));
  EXPECT_EQ(receive_all(*receiver, want.size()), want);
  EXPECT_EQ(text(monitored_by(*b, receiver->pid())), "{monitored_by,[]}");
}

// A message then an exit signal to a local process that does not trap:
// the message is in its mailbox before the signal ends it.
TEST_F(SignalOrderTest, LocalMessageIsQueuedBeforeAnExitSignalEndsTheTarget) {
  auto receiver = a->spawn();
  auto sender = a->spawn();
  sender->send(receiver->pid(), m(1));
  sender->exit_signal(receiver->pid(), A("stop"));
  EXPECT_FALSE(receiver->alive());
  EXPECT_EQ(receiver->exit_reason(), A("stop"));
  EXPECT_EQ(text(receiver->receive(0ms)), text(m(1)));
}

// Two senders keep routing while the waiting queue is handed to the new
// connection: each one's messages arrive complete and in order.
TEST_F(SignalOrderTest, SignalsRoutedDuringTheHandOverGoBehindIt) {
  constexpr int kEach = 5000;
  auto receiver = b->spawn();
  auto first = a->spawn();
  auto second = a->spawn();
  network.hold_connects(FakeNetwork::Hold::done);
  for (int i = 0; i < kEach; ++i) first->send(receiver->pid(), T(A("first"), i));
  std::thread other([&] {
    for (int i = 0; i < kEach; ++i) second->send(receiver->pid(), T(A("second"), i));
  });
  for (int i = kEach; i < 2 * kEach; ++i) {
    if (i == kEach + 10) network.release_connects();
    first->send(receiver->pid(), T(A("first"), i));
  }
  other.join();
  int next_first = 0;
  int next_second = 0;
  for (int n = 0; n < 3 * kEach; ++n) {
    auto message = receiver->receive(5s);
    ASSERT_TRUE(message) << "after " << n << " messages";
    const auto& e = message->as<Tuple>().elements;
    int& next = e[0].is_atom("first") ? next_first : next_second;
    ASSERT_EQ(e[1], Term(next)) << text(message);
    ++next;
  }
  EXPECT_EQ(next_first, 2 * kEach);
  EXPECT_EQ(next_second, kEach);
}

}  // namespace
}  // namespace beamlink::testing
