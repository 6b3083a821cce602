// TimerQueue: deadlines rounded up to slots, batched, popped in order.
#include "dist/timer_queue.h"

#include <gtest/gtest.h>

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using TimePoint = TimerQueue::TimePoint;

TEST(TimerQueueTest, DeadlinesInOneSlotFireTogether) {
  TimerQueue q(250ms);
  const TimePoint base{10s};
  EXPECT_EQ(q.schedule(1, base + 1ms), base + 250ms);
  EXPECT_EQ(q.schedule(2, base + 249ms), base + 250ms);
  EXPECT_EQ(q.schedule(3, base + 250ms), base + 250ms);  // on a boundary: that slot
  EXPECT_EQ(q.schedule(4, base + 251ms), base + 500ms);
  EXPECT_EQ(q.size(), 4u);
  ASSERT_TRUE(q.next());
  EXPECT_EQ(*q.next(), base + 250ms);
  EXPECT_TRUE(q.pop_due(base + 249ms).empty());
  EXPECT_EQ(q.pop_due(base + 250ms), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(*q.next(), base + 500ms);
  EXPECT_EQ(q.pop_due(base + 10s), (std::vector<uint64_t>{4}));
  EXPECT_FALSE(q.next());
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueueTest, ALateRunTakesEverySlotDueEarliestFirst) {
  TimerQueue q(100ms);
  const TimePoint base{1s};
  q.schedule(7, base + 350ms);
  q.schedule(5, base + 50ms);
  q.schedule(6, base + 150ms);
  EXPECT_EQ(q.pop_due(base + 1s), (std::vector<uint64_t>{5, 6, 7}));
}

}  // namespace
}  // namespace beamlink::dist
