#include "text/bit_writer.h"

#include <algorithm>

namespace beamlink::text {

void BitWriter::append_bits(uint8_t value, unsigned count) {
  for (unsigned i = count; i-- > 0;) {
    if (bit_count_ % 8 == 0) bytes_.push_back(0);
    if ((value >> i) & 1) bytes_.back() |= uint8_t(0x80 >> (bit_count_ % 8));
    ++bit_count_;
  }
}

void BitWriter::append_prefix(std::span<const uint8_t> bytes, size_t count) {
  size_t whole = count / 8;
  if (bit_count_ % 8 == 0) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.begin() + ptrdiff_t(whole));
    bit_count_ += whole * 8;
  } else {
    for (size_t i = 0; i < whole; ++i) append_bits(bytes[i], 8);
  }
  if (count % 8 != 0) append_bits(uint8_t(bytes[whole] >> (8 - count % 8)), unsigned(count % 8));
}

void BitWriter::append_integer(const Term& value, size_t size, bool little) {
  // Little-endian two's complement bytes, long enough to cover `size` bits.
  size_t length = size / 8 + 1;
  std::vector<uint8_t> twos(length, 0);
  bool negative;
  if (const int64_t* small = value.get_if<int64_t>()) {
    negative = *small < 0;
    uint64_t bits = uint64_t(*small);
    for (size_t i = 0; i < length; ++i) twos[i] = i < 8 ? uint8_t(bits >> (8 * i)) : 0;
    if (negative)
      std::fill(twos.begin() + ptrdiff_t(std::min<size_t>(8, length)), twos.end(), 0xFF);
  } else {
    const BigInt& big = value.as<BigInt>();
    negative = big.negative;
    std::copy_n(big.magnitude.begin(), std::min(length, big.magnitude.size()), twos.begin());
    if (negative) {  // -m = ~m + 1
      unsigned carry = 1;
      for (uint8_t& byte : twos) {
        unsigned sum = unsigned(uint8_t(~byte)) + carry;
        byte = uint8_t(sum);
        carry = sum >> 8;
      }
    }
  }
  if (little) {
    for (size_t i = 0; i < size / 8; ++i) append_bits(twos[i], 8);
    return;
  }
  size_t top = size / 8;
  if (size % 8 != 0) append_bits(uint8_t(twos[top] & ((1u << (size % 8)) - 1)), unsigned(size % 8));
  for (size_t i = top; i-- > 0;) append_bits(twos[i], 8);
}

Term BitWriter::take() {
  uint8_t bits = uint8_t(bit_count_ % 8);
  Bytes bytes = Bytes::take(std::move(bytes_));
  bytes_.clear();
  bit_count_ = 0;
  if (bits == 0) return Term(Binary{std::move(bytes)});
  return Term(BitString{std::move(bytes), bits});
}

}  // namespace beamlink::text
