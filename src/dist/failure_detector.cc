// Phi-accrual failure detection; see failure_detector.h.
#include "dist/failure_detector.h"

#include <algorithm>
#include <cmath>

namespace beamlink::dist {
namespace {

double to_ms(FailureDetector::Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

FailureDetector::Duration from_ms(double ms) {
  return std::chrono::duration_cast<FailureDetector::Duration>(
      std::chrono::duration<double, std::milli>(ms));
}

// P(X > t) for X ~ N(mean, sd).
double tail(double t, double mean, double sd) {
  return 0.5 * std::erfc((t - mean) / (sd * std::sqrt(2.0)));
}

// The z with P(Z > z) = 10^-phi, by bisection (phi in a sane range).
double z_for(double phi) {
  const double target = std::pow(10.0, -phi);
  double lo = 0;
  double hi = 40;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    if (tail(mid, 0, 1) > target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

}  // namespace

FailureDetector::FailureDetector(FailureDetectorOptions options, TimePoint start)
    : options_(options), last_heartbeat_(start), counted_from_(start) {
  options_.window = std::max<size_t>(options_.window, 1);
  options_.max_timeout = std::max(options_.max_timeout, options_.min_timeout);
}

void FailureDetector::heard(TimePoint at) {
  if (at <= last_heartbeat_) return;
  const double interval = to_ms(at - last_heartbeat_);
  intervals_.push_back(interval);
  sum_ += interval;
  sum_squares_ += interval * interval;
  if (intervals_.size() > options_.window) {
    const double old = intervals_.front();
    intervals_.pop_front();
    sum_ -= old;
    sum_squares_ -= old * old;
  }
  last_heartbeat_ = at;
  counted_from_ = std::max(counted_from_, at);
}

void FailureDetector::excuse(TimePoint until) {
  counted_from_ = std::max(counted_from_, until);
}

void FailureDetector::discount(Duration stall) {
  if (stall > Duration::zero()) counted_from_ += stall;
}

FailureDetector::Duration FailureDetector::silence(TimePoint now) const {
  return std::max(Duration::zero(), now - counted_from_);
}

double FailureDetector::mean_ms() const {
  return intervals_.empty() ? 0 : sum_ / static_cast<double>(intervals_.size());
}

double FailureDetector::std_dev_ms() const {
  const double floor = static_cast<double>(options_.min_std_dev.count());
  if (intervals_.size() < 2) return floor;
  const double n = static_cast<double>(intervals_.size());
  const double mean = sum_ / n;
  const double variance = std::max(0.0, sum_squares_ / n - mean * mean);
  return std::max(floor, std::sqrt(variance));
}

FailureDetector::Duration FailureDetector::timeout() const {
  Duration learned = options_.min_timeout;
  if (intervals_.size() >= std::max<size_t>(options_.window / 4, 2)) {
    static const double z = z_for(8.0);
    const double zt = options_.threshold == 8.0 ? z : z_for(options_.threshold);
    learned = from_ms(mean_ms() + zt * std_dev_ms());
  }
  return std::clamp<Duration>(learned, options_.min_timeout, options_.max_timeout);
}

double FailureDetector::phi(TimePoint now) const {
  const double p = tail(to_ms(silence(now)), mean_ms(), std_dev_ms());
  return p <= 0 ? 1e9 : -std::log10(p);
}

}  // namespace beamlink::dist
