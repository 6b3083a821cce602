#include "metrics/latency_histogram.h"

#include <algorithm>

namespace beamlink::metrics {

void LatencyHistogram::record(std::chrono::nanoseconds elapsed) {
  const auto nanoseconds = std::max<int64_t>(elapsed.count(), 0);
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  // The first bound not below the observation: buckets are "<= bound".
  const auto bucket = static_cast<size_t>(
      std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanoseconds_.fetch_add(static_cast<uint64_t>(nanoseconds), std::memory_order_relaxed);
}

HistogramSnapshot LatencyHistogram::snapshot() const {
  HistogramSnapshot out;
  out.bounds.assign(kBounds.begin(), kBounds.end());
  out.counts.reserve(counts_.size());
  for (const auto& count : counts_) {
    out.counts.push_back(count.load(std::memory_order_relaxed));
    out.count += out.counts.back();
  }
  out.sum = static_cast<double>(sum_nanoseconds_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

}  // namespace beamlink::metrics
