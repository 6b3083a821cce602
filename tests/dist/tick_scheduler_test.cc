// The node's one timer: wake() brings a connection's next check forward
// (a peer asked for fast ticks, a suspicion arrived) without a second entry
// that would check it twice from then on.
#include "dist/tick_scheduler.h"

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <thread>

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Checked: asks to be checked again an hour later.
class Counted final : public Ticked {
 public:
  Clock::time_point check(Clock::time_point now, Clock::duration) override {
    checks.fetch_add(1);
    return now + 1h;
  }
  std::atomic<int> checks{0};
};

class TickSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scheduler_ = std::make_shared<TickScheduler>(asio::make_strand(io_), 10ms);
    scheduler_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    scheduler_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  // Polls `done` every 5 ms for up to 20 s.
  static bool eventually(const std::function<bool()>& done) {
    for (const auto deadline = Clock::now() + 20s; Clock::now() < deadline;) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return done();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::shared_ptr<TickScheduler> scheduler_;
  std::thread thread_;
};

TEST_F(TickSchedulerTest, WakeChecksAnEntrySoonerThanItAsked) {
  auto ticked = std::make_shared<Counted>();
  const uint64_t id = scheduler_->add(ticked, Clock::now() + 1h);
  scheduler_->wake(id, Clock::now());
  ASSERT_TRUE(eventually([&] { return ticked->checks.load() == 1; }));
  // Woken again: one check per wake-up, the entry not duplicated (its hour
  // -later slots left behind are skipped as stale).
  const uint64_t rounds = scheduler_->stats().rounds.load();
  scheduler_->wake(id, Clock::now());
  ASSERT_TRUE(eventually([&] { return ticked->checks.load() == 2; }));
  scheduler_->wake(id, Clock::now() + 20ms);
  ASSERT_TRUE(eventually([&] { return ticked->checks.load() == 3; }));
  EXPECT_GE(scheduler_->stats().rounds.load(), rounds + 2);
  EXPECT_EQ(scheduler_->stats().checks.load(), 3u);
}

TEST_F(TickSchedulerTest, AWakeForALaterTimeThanAskedChangesNothing) {
  auto ticked = std::make_shared<Counted>();
  const uint64_t id = scheduler_->add(ticked, Clock::now());
  ASSERT_TRUE(eventually([&] { return ticked->checks.load() == 1; }));
  scheduler_->wake(id, Clock::now() + 2h);  // after its hour: ignored
  auto other = std::make_shared<Counted>();
  scheduler_->wake(scheduler_->add(other, Clock::now() + 1h), Clock::now());
  ASSERT_TRUE(eventually([&] { return other->checks.load() == 1; }));
  EXPECT_EQ(ticked->checks.load(), 1);
}

}  // namespace
}  // namespace beamlink::dist
