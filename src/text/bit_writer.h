// text/bit_writer.h - builds the bits of a binary literal segment by
// segment, the way Erlang's bit syntax lays them out. Pure; not shared
// between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::text {

class BitWriter {
 public:
  size_t bit_count() const { return bit_count_; }

  // The low `count` (<= 8) bits of value, most significant first.
  void append_bits(uint8_t value, unsigned count);
  // The first `count` bits of `bytes` (high bit of bytes[0] first).
  void append_prefix(std::span<const uint8_t> bytes, size_t count);
  // `value` (int64 or BigInt) as a `size`-bit two's complement integer,
  // truncated like Erlang does; little-endian REQUIRES size % 8 == 0.
  void append_integer(const Term& value, size_t size, bool little);

  // A Binary when the bit count is a whole number of bytes, else BitString.
  Term take();

 private:
  std::vector<uint8_t> bytes_;
  size_t bit_count_ = 0;
};

}  // namespace beamlink::text
