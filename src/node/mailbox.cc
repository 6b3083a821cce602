#include "node/mailbox.h"

#include <thread>
#include <utility>

namespace beamlink::node {

Mailbox::PushResult Mailbox::push(Term&& message, bool defer_wake) {
  PushResult result;
  std::lock_guard lock(mu_);
  if (closed_) return result;
  if (limit_ != 0 && count_.load(std::memory_order_relaxed) >= limit_ && !parked_) {
    result.full = true;
    return result;
  }
  result.accepted = true;
  if (handler_mode_) {
    count_.fetch_add(1, std::memory_order_relaxed);
    queue_.push_back(std::move(message));
    if (!scheduled_) {
      scheduled_ = true;
      result.schedule = true;
    }
    if (waiters_ > 0) cv_.notify_all();  // a handler blocked in its own receive
    return result;
  }
  if (parked_) {
    result.waiter = std::move(parked_);
    parked_ = nullptr;
    result.message = std::move(message);
    return result;
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  queue_.push_back(std::move(message));
  if (waiters_ == 0) return result;
  if (!defer_wake) {
    cv_.notify_one();
  } else if (!wake_pending_) {
    wake_pending_ = result.wake_deferred = true;
  }
  return result;
}

Mailbox::BatchResult Mailbox::push_batch(std::span<Term> messages) {
  BatchResult result;
  std::lock_guard lock(mu_);
  if (closed_) {
    result.closed = true;
    return result;
  }
  for (Term& message : messages) {
    if (!handler_mode_ && parked_) {
      result.waiter = std::move(parked_);
      parked_ = nullptr;
      result.message = std::move(message);
      ++result.accepted;
      continue;
    }
    if (limit_ != 0 && count_.load(std::memory_order_relaxed) >= limit_) {
      ++result.full;
      continue;
    }
    count_.fetch_add(1, std::memory_order_relaxed);
    queue_.push_back(std::move(message));
    ++result.accepted;
  }
  const bool queued = result.accepted > (result.waiter ? 1u : 0u);
  if (handler_mode_ && queued && !scheduled_) {
    scheduled_ = true;
    result.schedule = true;
  }
  if (queued && waiters_ > 0) {
    wake_pending_ = false;
    cv_.notify_all();  // several selective receivers may each want part of the batch
  }
  return result;
}

void Mailbox::wake() {
  std::lock_guard lock(mu_);
  if (!wake_pending_) return;
  wake_pending_ = false;
  cv_.notify_all();  // several selective receivers may each want part of the batch
}

// Sleeps until a push, close or the deadline with only mu_ held, so
// size() and remove_if are not blocked by a waiting receiver.
void Mailbox::wait_for_push(std::unique_lock<std::mutex>& consumer,
                            std::unique_lock<std::mutex>& lock, Clock::time_point deadline) {
  consumer.unlock();
  ++waiters_;
  if (deadline == Clock::time_point::max()) {
    cv_.wait(lock);
  } else {
    cv_.wait_until(lock, deadline);
  }
  --waiters_;
  lock.unlock();
  consumer.lock();
}

// Waits until no receiver is running a match over local_. False when the
// caller is that receiver (a receive from inside its own match).
bool Mailbox::await_scanner(std::unique_lock<std::mutex>& consumer) {
  if (scanning_ && scanner_ == std::this_thread::get_id()) return false;
  consumer_cv_.wait(consumer, [this] { return !scanning_; });
  return true;
}

std::optional<Term> Mailbox::pop(Clock::time_point deadline) {
  std::unique_lock consumer(consumer_mu_);
  for (;;) {
    if (!await_scanner(consumer)) return std::nullopt;
    if (!local_.empty()) {
      Term message = std::move(local_.front());
      local_.pop_front();
      ++local_generation_;
      count_.fetch_sub(1, std::memory_order_relaxed);
      return message;
    }
    std::unique_lock lock(mu_);
    if (!queue_.empty()) {
      local_.swap(queue_);
      continue;
    }
    if (closed_ || Clock::now() >= deadline) return std::nullopt;
    wait_for_push(consumer, lock, deadline);
  }
}

std::optional<Term> Mailbox::pop_if(const Match& match, Clock::time_point deadline) {
  std::unique_lock consumer(consumer_mu_);
  if (!await_scanner(consumer)) return std::nullopt;
  if (handler_mode_) {
    // A handler receiving selectively from inside its own handler (a
    // gen_server call): what it does not take goes back, ahead of newer
    // messages, for the drain's next take_batch.
    auto give_back = [this] {
      std::lock_guard lock(mu_);
      while (!local_.empty()) {
        queue_.push_front(std::move(local_.back()));
        local_.pop_back();
      }
      ++local_generation_;
    };
    std::optional<Term> taken;
    try {
      taken = pop_if_locked(consumer, match, deadline);
    } catch (...) {  // a match that threw: nothing is lost for the drain
      give_back();
      throw;
    }
    give_back();
    return taken;
  }
  return pop_if_locked(consumer, match, deadline);
}

// The scan: while scanning_ is set this receiver owns local_ and runs
// `match` with no lock held (a match may call back into the process:
// size, send, demonitor). remove_if from inside the match is applied
// when the match returns.
std::optional<Term> Mailbox::pop_if_locked(std::unique_lock<std::mutex>& consumer,
                                           const Match& match, Clock::time_point deadline) {
  size_t scanned = 0;
  uint64_t generation = local_generation_;
  for (;;) {
    if (generation != local_generation_) scanned = 0;
    scanning_ = true;
    scanner_ = std::this_thread::get_id();
    consumer.unlock();
    std::optional<size_t> hit;
    try {
      for (; scanned < local_.size(); ++scanned) {
        if (match(local_[scanned])) {
          hit = scanned;
          break;
        }
      }
    } catch (...) {
      consumer.lock();
      end_scan();
      throw;
    }
    consumer.lock();
    std::optional<Term> taken;
    if (hit) {
      taken = std::move(local_[*hit]);
      local_.erase(local_.begin() + static_cast<std::ptrdiff_t>(*hit));
      ++local_generation_;
      count_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (end_scan()) scanned = 0;  // removals shifted what was scanned
    if (taken) return taken;
    generation = local_generation_;
    std::unique_lock lock(mu_);
    if (!queue_.empty()) {
      for (auto& message : queue_) local_.push_back(std::move(message));
      queue_.clear();
      continue;
    }
    if (closed_ || Clock::now() >= deadline) return std::nullopt;
    wait_for_push(consumer, lock, deadline);
    if (!await_scanner(consumer)) return std::nullopt;
  }
}

// Ends a scan: applies the removals asked for during it and lets other
// receivers in. True if something was removed from local_.
bool Mailbox::end_scan() {
  scanning_ = false;
  size_t removed = 0;
  for (const Match& match : deferred_removals_) removed += std::erase_if(local_, match);
  deferred_removals_.clear();
  if (removed != 0) {
    ++local_generation_;
    count_.fetch_sub(removed, std::memory_order_relaxed);
  }
  consumer_cv_.notify_all();
  return removed != 0;
}

Mailbox::Park Mailbox::park(Process::ReceiveHandler& handler, std::optional<Term>& out,
                            uint64_t& token) {
  std::unique_lock consumer(consumer_mu_);
  if (!await_scanner(consumer)) return Park::busy;
  if (!local_.empty()) {
    out = std::move(local_.front());
    local_.pop_front();
    ++local_generation_;
    count_.fetch_sub(1, std::memory_order_relaxed);
    return Park::ready;
  }
  std::lock_guard lock(mu_);
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    count_.fetch_sub(1, std::memory_order_relaxed);
    return Park::ready;
  }
  if (closed_) return Park::closed;
  if (parked_) return Park::busy;
  parked_ = std::move(handler);
  token = parked_token_ = ++next_token_;
  return Park::parked;
}

Process::ReceiveHandler Mailbox::cancel_parked(uint64_t token) {
  std::lock_guard lock(mu_);
  if (!parked_ || parked_token_ != token) return nullptr;
  Process::ReceiveHandler handler = std::move(parked_);
  parked_ = nullptr;
  return handler;
}

bool Mailbox::take_batch(std::deque<Term>& out) {
  std::lock_guard lock(mu_);
  if (queue_.empty()) {
    scheduled_ = false;
    return false;
  }
  out.swap(queue_);
  return true;
}

Process::ReceiveHandler Mailbox::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
  Process::ReceiveHandler handler = std::move(parked_);
  parked_ = nullptr;
  return handler;
}

bool Mailbox::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void Mailbox::remove_if(const Match& match) {
  std::unique_lock consumer(consumer_mu_);
  size_t removed = 0;
  if (!await_scanner(consumer)) {
    deferred_removals_.push_back(match);  // from inside a match: when it returns
  } else {
    removed = std::erase_if(local_, match);
    ++local_generation_;
  }
  std::lock_guard lock(mu_);
  removed += std::erase_if(queue_, match);
  count_.fetch_sub(removed, std::memory_order_relaxed);
}

}  // namespace beamlink::node
