// dist/timer_queue.h - one ordered queue of deadlines for a whole node,
// batched into slots.
//
// Deadlines are rounded up to the next multiple of `slot` on the clock's
// own epoch, so everything due in one slot fires together: a node with a
// thousand connections wakes once per slot, not once per connection. (On
// one host every process shares the steady clock's epoch, so nodes there
// also tick in step, and a receiver's wake-ups for its peers' ticks
// coalesce.)
//
// Pure (the owner passes the time) and not thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace beamlink::dist {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  explicit TimerQueue(Clock::duration slot);

  // Schedules `id` for the slot that contains `when` (rounded up); returns
  // that slot's time. An id may be scheduled more than once.
  TimePoint schedule(uint64_t id, TimePoint when);
  // The earliest slot with something in it.
  std::optional<TimePoint> next() const;
  // Removes and returns every id whose slot is at or before `now`, earliest
  // slot first.
  std::vector<uint64_t> pop_due(TimePoint now);
  size_t size() const { return size_; }
  Clock::duration slot() const { return slot_; }

 private:
  Clock::duration slot_;
  std::map<TimePoint, std::vector<uint64_t>> slots_;
  size_t size_ = 0;
};

}  // namespace beamlink::dist
