// dist/tick_plan.h - when a connection ticks, probes its peer and is looked
// at again: the arithmetic of ConnectionImpl::check(), pure (the caller
// passes every time point) so tests move the clock.
//
// Ticks go out on a grid: the multiples of `tick_period` since the steady
// clock's epoch. An idle direction ticks at every grid point, so all of a
// node's connections tick in one scheduler round, and on one host (where
// every process shares the clock's epoch) all nodes tick at the same
// instant, so a receiver reads its peers' ticks in a few wake-ups rather
// than one per peer. A grid point's tick is skipped only when something was
// written in the last sixteenth of a period before it, so the peer never
// waits more than 1 1/16 periods for bytes from us; traffic sent at any
// other moment does not save a tick (a busy direction ticks only when it
// goes quiet).
//
// Between ticks a connection is looked at only when something can be due:
// when its peer has been silent long enough to be probed (`probe_after`) or
// suspected (the detector's timeout), or Erlang's net_ticktime runs out.
// An idle node therefore wakes about twice per tick period (the tick round,
// and the round just after its peers' ticks should have arrived), whatever
// the number of its connections.
#pragma once

#include <chrono>

namespace beamlink::dist {

struct TickPlan {
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;

  Duration tick_period;  // an idle direction's tick interval (> 0)
  Duration probe_after;  // probe a peer silent this long (zero: never probe)

  // The first grid point at or after `t`.
  TimePoint grid_at_or_after(TimePoint t) const;
  // When the tick after a write at `written` is due.
  TimePoint tick_at(TimePoint written) const;
  // Whether a round at `now` sends a tick (due, or overdue after a late round).
  bool tick_now(TimePoint now, TimePoint written) const { return now >= tick_at(written); }

  // When to look at the connection again. `written`: the last write
  // (including a tick just sent); `silence`: the peer's silence as the
  // detector counts it; `timeout`: the detector's; `last_probe`: the last
  // probe sent (epoch if none); `quiet` and `ticktime`: Erlang's rule
  // (nothing at all from the peer for ticktime closes the connection).
  TimePoint next_check(TimePoint now, TimePoint written, Duration silence, Duration timeout,
                       TimePoint last_probe, Duration quiet, Duration ticktime) const;
};

}  // namespace beamlink::dist
