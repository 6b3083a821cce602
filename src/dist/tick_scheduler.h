// dist/tick_scheduler.h - the one timer of a node's distribution: ticks,
// liveness probes and failure detection for every connection, run by one
// coroutine on one strand (instead of a coroutine and a timer per
// connection, which an idle 64-node mesh paid for with 62 % of a core).
//
// Each registered Ticked is checked in its slot of a TimerQueue (all
// connections of a node share a slot, so a check round is one wake-up);
// check() does the work and answers when it wants to be checked next.
// The scheduler measures its own lateness (the timer fired `stall` after
// its slot: the process was descheduled or the io threads were busy) and
// passes it on, so a detector does not blame a peer for it.
//
// Threading: add() and stop() from any thread; check() runs on the
// scheduler's strand, concurrently with the Ticked's own strand. The
// scheduler holds weak pointers: an entry goes when its object does or
// when check() returns TimePoint::max().
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "dist/timer_queue.h"

namespace beamlink::dist {

class Ticked {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Ticked() = default;
  // Does what is due at `now`; `stall` is how late this round runs.
  // Returns when to be checked next (TimePoint::max(): never again).
  virtual Clock::time_point check(Clock::time_point now, Clock::duration stall) = 0;
};

struct TickSchedulerStats {
  std::atomic<uint64_t> rounds{0};    // wake-ups
  std::atomic<uint64_t> checks{0};    // check() calls
  std::atomic<uint64_t> failures{0};  // check() calls that threw
};

class TickScheduler : public std::enable_shared_from_this<TickScheduler> {
 public:
  using Clock = Ticked::Clock;
  using OnError = std::function<void(const std::string&)>;

  // `strand`: the scheduler's own; `slot`: the granularity of its queue.
  TickScheduler(asio::any_io_executor strand, Clock::duration slot, OnError on_error = {});

  void start();
  // Checks `ticked` from `first` on. Returns its id (for wake()).
  uint64_t add(std::weak_ptr<Ticked> ticked, Clock::time_point first);
  // Checks entry `id` by `at` (sooner than it asked, if earlier): its
  // state changed in a way check() must see (a peer asked for fast ticks, a
  // suspicion arrived). Any thread.
  void wake(uint64_t id, Clock::time_point at);
  void stop();
  const TickSchedulerStats& stats() const { return stats_; }

 private:
  asio::awaitable<void> run();

  asio::any_io_executor strand_;
  asio::steady_timer timer_;
  OnError on_error_;
  TickSchedulerStats stats_;
  // Strand-only.
  TimerQueue queue_;
  struct Entry {
    std::weak_ptr<Ticked> ticked;
    // The slot it is due in; queue entries for other slots are stale
    // (left behind by wake()) and skipped.
    Clock::time_point due;
  };
  std::unordered_map<uint64_t, Entry> entries_;
  std::atomic<uint64_t> next_id_{1};
  Clock::time_point armed_for_ = Clock::time_point::max();
  bool stopped_ = false;
};

}  // namespace beamlink::dist
