// metrics/latency_histogram.h - a histogram of durations that any thread
// records into without a lock: fixed bucket bounds (seconds, from 500 us
// to 10 s), one relaxed atomic per bucket, the sum kept in nanoseconds.
//
// Contract: record() is wait-free (two relaxed fetch_adds and a short
// search over 14 bounds); snapshot() may run at the same time and then
// sees some recent observations in the buckets but not yet in the sum (or
// the reverse); the encoder derives _count from the buckets, so a scrape
// is always self-consistent in count. For setup latencies (handshakes,
// connects), not for the message path.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "beamlink/node_metrics.h"

namespace beamlink::metrics {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void record(std::chrono::nanoseconds elapsed);
  HistogramSnapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<uint64_t> sum_nanoseconds_{0};
};

}  // namespace beamlink::metrics
