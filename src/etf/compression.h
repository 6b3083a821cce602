// etf/compression.h - the zlib half of compressed terms (131, 80,
// UncompressedSize, zlib data).
//
// Contract: pure functions over bytes. inflate_exact never allocates more
// than the declared size, which the caller has already bounded, and grows
// its output only as the stream inflates (a lying stream costs what it
// produced, not what it declared); it fails
// unless the stream is a complete zlib stream that inflates to exactly
// `declared` bytes and uses all of `compressed`. Thread safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::etf {

// Inflates `compressed` into exactly `declared` bytes. Errors (malformed)
// are phrased for the caller to prefix with where the stream started.
Result<std::vector<uint8_t>> inflate_exact(std::span<const uint8_t> compressed, size_t declared);

// Appends the zlib stream of `raw` at `level` (0..9) to `out`.
Result<void> deflate_to(std::vector<uint8_t>& out, std::span<const uint8_t> raw, int level);

}  // namespace beamlink::etf
