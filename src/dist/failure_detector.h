// dist/failure_detector.h - decides when a peer that has gone quiet is
// dead: a phi-accrual detector (Hayashibara et al., as Akka and Cassandra
// use) over the intervals between proofs of life, with two rules of our
// own so that it never blames the peer for our own silence.
//
// Model: the intervals between heartbeats (any bytes from the peer, as the
// owner observes them) are taken as normally distributed with the mean and
// standard deviation of the last `window` intervals (the deviation no less
// than min_std_dev). phi(t) = -log10(P(interval > t)); the peer is suspected
// once phi of the current silence reaches `threshold`, i.e. once the
// silence exceeds mean + z(threshold) * deviation. That timeout is clamped
// to [min_timeout, max_timeout]: min_timeout (the connection's
// liveness_timeout) keeps a quiet peer's verdict fast and predictable;
// a connection whose history shows long irregular gaps (a peer that
// collects garbage, a busy link) earns a proportionally longer timeout, up
// to max_timeout (net_ticktime). Until `window / 4` intervals were seen the
// timeout is min_timeout.
//
// Silence is not counted while we could not have heard the peer:
//  * excuse(until): the owner was not listening (its reader was away
//    delivering a batch, its writes to the peer were blocked) until
//    `until`; silence before it does not count (no interval is sampled).
//  * discount(stall): our own process or io thread stalled for `stall`
//    (the owner measures its timer's lateness); the silence so far is
//    shortened by it.
//
// Pure: the owner passes every time point, so tests move the clock.
// Not thread safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace beamlink::dist {

struct FailureDetectorOptions {
  std::chrono::milliseconds min_timeout{1500};
  std::chrono::milliseconds max_timeout{60000};
  double threshold = 8.0;  // phi; 8 = a one-in-10^8 chance the peer is only late
  std::chrono::milliseconds min_std_dev{100};
  size_t window = 64;
};

class FailureDetector {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;

  FailureDetector(FailureDetectorOptions options, TimePoint start);

  // Proof of life at `at` (the latest bytes seen). Earlier or repeated
  // time points are ignored; a later one samples the interval since the
  // previous heartbeat.
  void heard(TimePoint at);
  void excuse(TimePoint until);
  void discount(Duration stall);

  // How long the peer has been silent, as counted (never negative).
  Duration silence(TimePoint now) const;
  // The silence after which the peer is suspected, from its history.
  Duration timeout() const;
  double phi(TimePoint now) const;
  bool suspect(TimePoint now) const { return silence(now) >= timeout(); }

  size_t samples() const { return intervals_.size(); }
  TimePoint last_heartbeat() const { return last_heartbeat_; }

 private:
  double mean_ms() const;
  double std_dev_ms() const;

  FailureDetectorOptions options_;
  TimePoint last_heartbeat_;      // the latest proof of life (intervals run from it)
  TimePoint counted_from_;        // silence counts from here (>= last_heartbeat_)
  std::deque<double> intervals_;  // ms
  double sum_ = 0;
  double sum_squares_ = 0;
};

}  // namespace beamlink::dist
