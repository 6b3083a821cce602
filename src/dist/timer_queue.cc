// Slotted deadline queue; see timer_queue.h.
#include "dist/timer_queue.h"

#include <algorithm>

namespace beamlink::dist {

TimerQueue::TimerQueue(Clock::duration slot) : slot_(std::max(slot, Clock::duration(1))) {}

TimerQueue::TimePoint TimerQueue::schedule(uint64_t id, TimePoint when) {
  const auto since_epoch = when.time_since_epoch();
  auto slots = since_epoch / slot_;
  if (since_epoch % slot_ != Clock::duration::zero()) ++slots;
  const TimePoint at{slot_ * slots};
  slots_[at].push_back(id);
  ++size_;
  return at;
}

std::optional<TimerQueue::TimePoint> TimerQueue::next() const {
  if (slots_.empty()) return std::nullopt;
  return slots_.begin()->first;
}

std::vector<uint64_t> TimerQueue::pop_due(TimePoint now) {
  std::vector<uint64_t> due;
  while (!slots_.empty() && slots_.begin()->first <= now) {
    auto& ids = slots_.begin()->second;
    due.insert(due.end(), ids.begin(), ids.end());
    slots_.erase(slots_.begin());
  }
  size_ -= due.size();
  return due;
}

}  // namespace beamlink::dist
