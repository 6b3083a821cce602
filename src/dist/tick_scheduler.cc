// The node's one timer; see tick_scheduler.h.
#include "dist/tick_scheduler.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <string>

namespace beamlink::dist {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// With nothing to check, the loop sleeps this long (add() wakes it).
constexpr std::chrono::seconds kIdleWait{3600};

}  // namespace

TickScheduler::TickScheduler(asio::any_io_executor strand, Clock::duration slot, OnError on_error)
    : strand_(strand), timer_(strand), on_error_(std::move(on_error)), queue_(slot) {}

void TickScheduler::start() {
  auto self = shared_from_this();
  asio::co_spawn(strand_, run(), [self](std::exception_ptr error) {
    if (!error) return;
    // run() catches what check() throws; anything else is a bug worth a log.
    self->stats_.failures.fetch_add(1, std::memory_order_relaxed);
    if (self->on_error_) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        self->on_error_(std::string("tick scheduler stopped: ") + e.what());
      } catch (...) {
        self->on_error_("tick scheduler stopped: unknown exception");
      }
    }
  });
}

uint64_t TickScheduler::add(std::weak_ptr<Ticked> ticked, Clock::time_point first) {
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  asio::post(strand_, [self = shared_from_this(), ticked = std::move(ticked), first, id] {
    if (self->stopped_) return;
    const auto at = self->queue_.schedule(id, first);
    self->entries_.emplace(id, Entry{ticked, at});
    if (at < self->armed_for_) self->timer_.cancel();  // re-arm for the earlier slot
  });
  return id;
}

void TickScheduler::wake(uint64_t id, Clock::time_point at) {
  asio::post(strand_, [self = shared_from_this(), id, at] {
    if (self->stopped_) return;
    auto found = self->entries_.find(id);
    if (found == self->entries_.end() || at >= found->second.due) return;
    found->second.due = self->queue_.schedule(id, at);
    if (found->second.due < self->armed_for_) self->timer_.cancel();
  });
}

void TickScheduler::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->entries_.clear();
    self->timer_.cancel();
  });
}

asio::awaitable<void> TickScheduler::run() {
  for (;;) {
    const auto next = queue_.next();
    armed_for_ = next.value_or(Clock::now() + kIdleWait);
    timer_.expires_at(armed_for_);
    auto [error] = co_await timer_.async_wait(kNoThrow);
    if (stopped_) co_return;
    if (error) continue;  // re-armed by add()
    const auto now = Clock::now();
    const auto stall = next ? std::max(Clock::duration::zero(), now - *next) : Clock::duration{};
    stats_.rounds.fetch_add(1, std::memory_order_relaxed);
    for (const uint64_t id : queue_.pop_due(now)) {
      auto found = entries_.find(id);
      if (found == entries_.end() || found->second.due > now) continue;  // gone, or stale
      auto ticked = found->second.ticked.lock();
      Clock::time_point again = Clock::time_point::max();
      if (ticked) {
        stats_.checks.fetch_add(1, std::memory_order_relaxed);
        try {
          again = ticked->check(now, stall);
        } catch (const std::exception& e) {
          stats_.failures.fetch_add(1, std::memory_order_relaxed);
          if (on_error_) on_error_(std::string("connection check failed: ") + e.what());
        } catch (...) {
          stats_.failures.fetch_add(1, std::memory_order_relaxed);
          if (on_error_) on_error_("connection check failed: unknown exception");
        }
      }
      if (again == Clock::time_point::max()) {
        entries_.erase(found);
      } else {
        found->second.due = queue_.schedule(id, std::max(again, now + Clock::duration(1)));
      }
    }
  }
}

}  // namespace beamlink::dist
