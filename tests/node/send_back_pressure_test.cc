// Back-pressure at the public API: a Node with real distribution and a raw
// peer that never reads. send_nosuspend answers busy, a user thread's send
// gives up after busy_send_timeout (dropped, counted), a handler process
// on a worker thread queues on without waiting, and local sends report
// what became of them.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "beamlink/node.h"
#include "dist/raw_peer.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class SendBackPressureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeOptions options;
    options.name = "a@127.0.0.1";
    options.cookie = "cookie";
    options.listen_address = "127.0.0.1";
    options.use_epmd = false;
    options.liveness_probe = 0ms;  // the raw peer answers nothing
    options.ticktime = 600s;
    options.dist_buf_busy_limit = 64u << 10;
    options.send_timeout = 0ms;
    options.busy_send_timeout = 200ms;
    options.worker_threads = 2;
    auto started = Node::start(std::move(options));
    ASSERT_TRUE(started) << started.error().to_string();
    node_ = std::move(*started);
    raw_ = std::make_unique<dist::testing::RawPeer>(node_->listen_port(), 64 << 10);
    ASSERT_EQ(raw_->handshake("raw@127.0.0.1", "cookie", "a@127.0.0.1"), "");
    const auto deadline = Clock::now() + 20s;
    while (node_->nodes().empty() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(node_->nodes().size(), 1u);
  }

  // Sends nosuspend until the connection has answered busy for 300 ms in a
  // row (the raw peer's buffers are full and stay full).
  bool fill(Process& sender) {
    const Term payload = Term::binary(std::string(64u << 10, 'x'));
    std::optional<Clock::time_point> busy_since;
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      const SendResult result = sender.send_nosuspend(raw_pid_, payload);
      if (result == SendResult::ok) {
        busy_since.reset();
        continue;
      }
      if (result != SendResult::busy) return false;
      if (!busy_since) busy_since = Clock::now();
      if (Clock::now() - *busy_since >= 300ms) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }

  std::unique_ptr<Node> node_;
  std::unique_ptr<dist::testing::RawPeer> raw_;
  const Pid raw_pid_{Atom("raw@127.0.0.1"), 100, 0, 17};
};

TEST_F(SendBackPressureTest, NosuspendIsBusyAndAWaitingSendIsDroppedAfterTheTimeout) {
  auto p = node_->spawn();
  ASSERT_TRUE(p);
  ASSERT_TRUE(fill(*p));
  EXPECT_GE(node_->stats().busy_refused, 1u);
  EXPECT_EQ(node_->send_nosuspend(raw_pid_, Term::atom("x")), SendResult::busy);
  EXPECT_EQ(p->send_nosuspend("name", "raw@127.0.0.1", Term::atom("x")), SendResult::busy);

  const auto before = Clock::now();
  EXPECT_EQ(p->send(raw_pid_, Term::atom("waited")), SendResult::dropped);
  EXPECT_GE(Clock::now() - before, 200ms);
  EXPECT_EQ(node_->stats().dropped_busy, 1u);
  EXPECT_EQ(node_->nodes().size(), 1u);  // busy is not down
}

TEST_F(SendBackPressureTest, HandlerOnAWorkerQueuesPastTheLimitWithoutWaiting) {
  auto p = node_->spawn();
  ASSERT_TRUE(p);
  ASSERT_TRUE(fill(*p));
  // A handler process sends to the busy peer and reports what send said.
  const Pid me = p->pid();
  const Pid raw = raw_pid_;
  auto handler = node_->spawn_handler([me, raw](Process& self, Term message) {
    const SendResult result = self.send(raw, std::move(message));
    self.send(me, Term::atom(result == SendResult::ok ? "ok" : "not_ok"));
  });
  ASSERT_TRUE(handler);
  p->send(*handler, Term::atom("go"));
  EXPECT_EQ(p->receive(20s), Term::atom("ok"));
  EXPECT_EQ(node_->stats().dropped_busy, 0u);
}

TEST_F(SendBackPressureTest, LocalSendsSayWhetherTheyWereDelivered) {
  auto p = node_->spawn();
  auto q = node_->spawn();
  ASSERT_TRUE(p && q);
  EXPECT_EQ(p->send(q->pid(), Term(1)), SendResult::ok);
  EXPECT_EQ(p->send_nosuspend(q->pid(), Term(2)), SendResult::ok);
  const Pid gone{Atom("a@127.0.0.1"), q->pid().id + 1000, 0, node_->creation()};
  EXPECT_EQ(node_->send(gone, Term(3)), SendResult::dropped);
  EXPECT_EQ(node_->send("nobody", "a@127.0.0.1", Term(4)), SendResult::dropped);
  EXPECT_EQ(q->receive(1s), Term(1));
  EXPECT_EQ(q->receive(1s), Term(2));
}

}  // namespace
}  // namespace beamlink
