// node/mailbox.h - a process's message queue.
//
// Producers (any thread) append under one short lock; consumers take the
// whole queue at once into a consumer-side buffer (batch drain), so a busy
// receiver pays one shared-lock acquisition per batch, not per message.
//
// Two modes:
//  * pull: a user thread receives (blocking with a deadline, selectively,
//    or by parking one asynchronous receiver that the next push hands its
//    message to);
//  * handler: push reports when the mailbox went from idle to busy, and
//    the runtime then schedules one drain task (take_batch) on a worker.
//    The handler itself may also pop_if (blocking) while it runs; messages
//    it leaves stay queued, in order, for the next take_batch.
//
// Thread safety: every member from any thread. Receives are meant for one
// consumer at a time (concurrent receives are safe but unordered); size()
// never waits; remove_if waits for a receiver that is scanning, never for
// one that is blocked waiting. A selective receive's match runs with no
// lock held, so it may call back into the process (size, send, demonitor);
// a receive from inside a match returns nothing at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "beamlink/process.h"
#include "beamlink/term.h"

namespace beamlink::node {

class Mailbox {
 public:
  using Clock = std::chrono::steady_clock;
  using Match = std::function<bool(const Term&)>;

  explicit Mailbox(bool handler_mode) : handler_mode_(handler_mode) {}

  // At most `messages` queued (0: no bound); a push over it is refused
  // with `full`. REQUIRES: before the mailbox is shared.
  void set_limit(size_t messages) { limit_ = messages; }

  struct PushResult {
    bool accepted = false;  // false: the mailbox is closed or full, the message dropped
    bool full = false;      // refused for the limit (set_limit)
    bool schedule = false;  // handler mode: the caller must schedule a drain
    // Pull mode: a parked async receiver the caller must complete with
    // `message` (outside any lock, on a worker).
    Process::ReceiveHandler waiter;
    std::optional<Term> message;
    // `defer_wake`: a blocked receiver was not woken; the caller must call
    // wake() soon. Reported once until that wake().
    bool wake_deferred = false;
  };
  // `defer_wake`: leave a receiver blocked in pop/pop_if asleep (see
  // wake_deferred), so a batch of pushes wakes it once.
  PushResult push(Term&& message, bool defer_wake = false);
  // Wakes the receivers a deferred push left asleep.
  void wake();

  struct BatchResult {
    size_t accepted = 0;             // queued, or handed to `waiter`
    size_t full = 0;                 // refused for the limit, as push does one by one
    bool closed = false;             // all refused: the mailbox is closed
    bool schedule = false;           // handler mode: the caller must schedule a drain
    Process::ReceiveHandler waiter;  // as PushResult's, with the first message
    std::optional<Term> message;
  };
  // push() of each of `messages` in order (moved from), under one lock and
  // with one wake-up for them all.
  BatchResult push_batch(std::span<Term> messages);

  // Blocks until a (matching) message arrives, the deadline passes or the
  // mailbox is closed and empty. Clock::time_point::max() waits forever.
  std::optional<Term> pop(Clock::time_point deadline);
  std::optional<Term> pop_if(const Match& match, Clock::time_point deadline);

  enum class Park { ready, parked, busy, closed };
  // Returns ready with the message in `out` when one is queued; otherwise
  // parks `handler` (token identifies it for cancel_parked) or reports that
  // another receiver is parked (busy) or the mailbox is closed.
  Park park(Process::ReceiveHandler& handler, std::optional<Term>& out, uint64_t& token);
  // Takes back the parked receiver if it is still the one `token` names.
  Process::ReceiveHandler cancel_parked(uint64_t token);

  // Handler mode: moves every queued message into `out`. Returns false (and
  // marks the mailbox idle, so the next push schedules again) when there was
  // nothing. The messages still count in size() until consumed() says they
  // were handled.
  bool take_batch(std::deque<Term>& out);
  void consumed(size_t n) { count_.fetch_sub(n, std::memory_order_relaxed); }

  // Stops accepting messages; wakes blocked receivers. Returns a parked
  // async receiver, which the caller completes with nullopt.
  Process::ReceiveHandler close();
  bool closed() const;

  // Removes queued messages for which `match` is true (demonitor flush).
  void remove_if(const Match& match);
  // Messages queued and not yet received (handler mode: not yet handled).
  // Lock-free, so a receive_if match or a handler may ask.
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  void wait_for_push(std::unique_lock<std::mutex>& consumer, std::unique_lock<std::mutex>& lock,
                     Clock::time_point deadline);
  std::optional<Term> pop_if_locked(std::unique_lock<std::mutex>& consumer, const Match& match,
                                    Clock::time_point deadline);
  bool await_scanner(std::unique_lock<std::mutex>& consumer);
  bool end_scan();

  const bool handler_mode_;
  size_t limit_ = 0;
  std::atomic<size_t> count_{0};  // queue_ + local_ (+ a handler's batch); raised under mu_
  mutable std::mutex mu_;         // guards the fields below
  std::condition_variable cv_;
  std::deque<Term> queue_;
  bool closed_ = false;
  bool scheduled_ = false;
  bool wake_pending_ = false;
  unsigned waiters_ = 0;
  Process::ReceiveHandler parked_;
  uint64_t parked_token_ = 0;
  uint64_t next_token_ = 0;

  mutable std::mutex consumer_mu_;  // guards local_ (but see scanning_); taken before mu_
  std::condition_variable consumer_cv_;
  // A receiver is running its match over local_ without consumer_mu_; it
  // owns local_ until it clears this. Guarded by consumer_mu_.
  bool scanning_ = false;
  std::thread::id scanner_;
  std::vector<Match> deferred_removals_;  // remove_if calls made from inside the match
  std::deque<Term> local_;
  uint64_t local_generation_ = 0;  // bumped when local_ loses elements
};

}  // namespace beamlink::node
