// discovery/backoff.h - exponential backoff with jitter, pure.
//
// delay(n) for the n-th consecutive failure (n >= 1) is
//   min(max, initial * 2^(n-1)) * U[1 - jitter, 1 + jitter],
// never below 1 ms. The random source is passed in so tests can pin it.
#pragma once

#include <chrono>
#include <random>

namespace beamlink::discovery {

struct Backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{5000};
  double jitter = 0.2;

  std::chrono::milliseconds delay(unsigned failures, std::mt19937_64& random) const;
  // Without jitter: the centre of the range.
  std::chrono::milliseconds base(unsigned failures) const;
};

}  // namespace beamlink::discovery
