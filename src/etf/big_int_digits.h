// etf/big_int_digits.h - the arbitrary-precision steps behind BigInt's
// decimal conversions, shared with the term text parser (which also reads
// base#digits integers). Pure functions; thread safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::etf {

// The magnitude of a number written as digit values (most significant
// first, each < base) in `base` (2..36): little-endian base 256 with no
// trailing zero bytes (empty for zero).
// REQUIRES: every digit < base, 2 <= base <= 36.
std::vector<uint8_t> magnitude_from_digits(std::span<const uint8_t> digits, unsigned base);

// The integer Term with this sign and magnitude: int64 when it fits, else a
// BigInt. REQUIRES: magnitude has no trailing zero bytes.
Term integer_from_magnitude(bool negative, std::vector<uint8_t> magnitude);

}  // namespace beamlink::etf
