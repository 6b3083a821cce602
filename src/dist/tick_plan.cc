// When a connection ticks and is looked at again; see tick_plan.h.
#include "dist/tick_plan.h"

#include <algorithm>

namespace beamlink::dist {

TickPlan::TimePoint TickPlan::grid_at_or_after(TimePoint t) const {
  const Duration period = std::max(tick_period, Duration(1));
  const auto since_epoch = t.time_since_epoch();
  auto periods = since_epoch / period;
  if (since_epoch % period > Duration::zero()) ++periods;
  return TimePoint(period * periods);
}

TickPlan::TimePoint TickPlan::tick_at(TimePoint written) const {
  // A write in the last sixteenth of a period before a grid point stands in
  // for that point's tick.
  return grid_at_or_after(written + tick_period / 16);
}

TickPlan::TimePoint TickPlan::next_check(TimePoint now, TimePoint written, Duration silence,
                                         Duration timeout, TimePoint last_probe, Duration quiet,
                                         Duration ticktime) const {
  TimePoint next = tick_at(written);
  const auto within = [&](Duration left) { next = std::min(next, now + left); };
  if (probe_after > Duration::zero()) {
    if (silence < probe_after) {
      within(probe_after - silence);
    } else {
      next = std::min(next, last_probe + probe_after);
    }
    // Once suspected, the verdict is confirmed on the connection's strand;
    // if bytes arrived meanwhile, look again soon.
    within(silence < timeout ? timeout - silence : tick_period / 20);
  }
  if (quiet < ticktime) within(ticktime - quiet);
  return std::max(next, now + Duration(1));
}

}  // namespace beamlink::dist
