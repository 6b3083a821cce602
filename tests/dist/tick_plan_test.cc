// TickPlan: ticks on a shared grid, skipped only for a write just before a
// grid point, and a connection looked at again only when something is due.
#include "dist/tick_plan.h"

#include <gtest/gtest.h>

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using TimePoint = TickPlan::TimePoint;
using Duration = TickPlan::Duration;

TickPlan probing_plan() {
  return TickPlan{1000ms, 1200ms};
}

TEST(TickPlanTest, AnIdleDirectionTicksOnEveryGridPoint) {
  const TickPlan plan = probing_plan();
  const TimePoint grid{100s};
  // A tick sent at a grid point: the next one is due one period later.
  EXPECT_EQ(plan.tick_at(grid), grid + 1s);
  EXPECT_FALSE(plan.tick_now(grid + 999ms, grid));
  EXPECT_TRUE(plan.tick_now(grid + 1s, grid));
  // A round that runs late still ticks, and the tick after it is back on the grid.
  EXPECT_TRUE(plan.tick_now(grid + 1s + 30ms, grid));
  EXPECT_EQ(plan.tick_at(grid + 1s + 30ms), grid + 2s);
}

TEST(TickPlanTest, OnlyAWriteJustBeforeAGridPointStandsInForItsTick) {
  const TickPlan plan = probing_plan();
  const TimePoint grid{100s};
  // Written 40 ms before the point (within a sixteenth of the period): skip
  // it; the peer then waits 1 s + 40 ms for our next bytes.
  EXPECT_EQ(plan.tick_at(grid - 40ms), grid + 1s);
  // Written 300 ms before: tick anyway, or the peer would wait 1.3 s.
  EXPECT_EQ(plan.tick_at(grid - 300ms), grid);
  // Nobody waits longer than a period and a sixteenth for bytes from us.
  for (Duration written = 0ms; written < 2s; written += 7ms) {
    const TimePoint w = grid + written;
    EXPECT_LE(plan.tick_at(w) - w, 1000ms + 1000ms / 16) << written.count();
    EXPECT_GT(plan.tick_at(w), w);
  }
}

TEST(TickPlanTest, AHealthyPeerIsLookedAtOnceMorePerPeriod) {
  const TickPlan plan = probing_plan();
  const TimePoint grid{100s};
  // At the tick round, the peer's last tick arrived 990 ms ago: look again
  // when it would be due a probe (210 ms on), before the next tick round.
  const TimePoint now = grid;
  const TimePoint next = plan.next_check(now, now, 990ms, 1560ms, TimePoint{}, 990ms, 60s);
  EXPECT_EQ(next, now + 210ms);
  // Heard 10 ms ago: nothing is due before the next tick round.
  EXPECT_EQ(plan.next_check(now + 210ms, now, 10ms, 1560ms, TimePoint{}, 10ms, 60s), grid + 1s);
}

TEST(TickPlanTest, ASilentPeerIsLookedAtWhenItsVerdictIsDue) {
  const TickPlan plan = probing_plan();
  const TimePoint now{100s + 300ms};
  const TimePoint written{100s};
  // Probed at 1.2 s of silence; then the next look is at the timeout, not
  // at the next probe (which would come later).
  const TimePoint next = plan.next_check(now, written, 1200ms, 1560ms, now, 1200ms, 60s);
  EXPECT_EQ(next, now + 360ms);
  // Suspected (the verdict is being confirmed): look again soon.
  EXPECT_EQ(plan.next_check(now, written, 1600ms, 1560ms, now, 1600ms, 60s), now + 50ms);
}

TEST(TickPlanTest, WithoutProbingOnlyTicksAndNetTicktimeWake) {
  const TickPlan plan{15s, Duration::zero()};
  const TimePoint now{150s};
  // Silence alone wakes nothing; the next tick and Erlang's ticktime do.
  EXPECT_EQ(plan.next_check(now, now, 5s, 1500ms, TimePoint{}, 5s, 60s), now + 15s);
  EXPECT_EQ(plan.next_check(now, now, 50s, 1500ms, TimePoint{}, 50s, 60s), now + 10s);
}

}  // namespace
}  // namespace beamlink::dist
