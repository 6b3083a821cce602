#include "discovery/backoff.h"

#include <algorithm>
#include <cmath>

namespace beamlink::discovery {

std::chrono::milliseconds Backoff::base(unsigned failures) const {
  if (failures == 0) return std::chrono::milliseconds(0);
  double value = static_cast<double>(initial.count());
  for (unsigned i = 1; i < failures && value < static_cast<double>(max.count()); ++i) value *= 2;
  value = std::min(value, static_cast<double>(max.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(value));
}

std::chrono::milliseconds Backoff::delay(unsigned failures, std::mt19937_64& random) const {
  double centre = static_cast<double>(base(failures).count());
  double j = std::clamp(jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> factor(1.0 - j, 1.0 + j);
  double value = j > 0 ? centre * factor(random) : centre;
  return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(value)));
}

}  // namespace beamlink::discovery
