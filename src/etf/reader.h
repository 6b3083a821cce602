// etf/reader.h - a bounded big-endian byte reader over untrusted input.
//
// Contract: every read is checked against the bytes that remain; a failed
// read returns false and leaves the position unchanged, so the caller can
// report what it needed and where. Offsets are absolute: `base` is added so
// that a reader over a slice still reports positions in the whole input.
// Not thread safe; cheap to copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace beamlink::etf {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data, size_t base = 0)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()), base_(base) {}

  size_t offset() const { return base_ + static_cast<size_t>(pos_ - begin_); }
  size_t consumed() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool empty() const { return pos_ == end_; }
  const uint8_t* position() const { return pos_; }

  bool u8(uint8_t& out) {
    if (pos_ == end_) return false;
    out = *pos_++;
    return true;
  }
  bool u16(uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<uint16_t>((pos_[0] << 8) | pos_[1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& out) {
    if (remaining() < 4) return false;
    out = load_u32(pos_);
    pos_ += 4;
    return true;
  }
  bool u64(uint64_t& out) {
    if (remaining() < 8) return false;
    out = (uint64_t{load_u32(pos_)} << 32) | load_u32(pos_ + 4);
    pos_ += 8;
    return true;
  }
  bool bytes(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = {pos_, n};
    pos_ += n;
    return true;
  }

 private:
  static uint32_t load_u32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }

  const uint8_t* begin_;
  const uint8_t* pos_;
  const uint8_t* end_;
  size_t base_;
};

}  // namespace beamlink::etf
