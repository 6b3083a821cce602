// etf/sinks.h - where the encoder puts bytes.
//
// encode_to runs the encoder once, over VectorSink, which validates and
// writes; encoded_size runs it over SizeSink, which only counts. Both expose
// the same inline interface; position() and patch_u32 let NEW_FUN_EXT fill
// in its Size field once its free variables are written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace beamlink::etf {

class SizeSink {
 public:
  static constexpr bool kValidates = true;  // the pass that rejects bad terms
  void u8(uint8_t) { size_ += 1; }
  void u16(uint16_t) { size_ += 2; }
  void u32(uint32_t) { size_ += 4; }
  void u64(uint64_t) { size_ += 8; }
  void bytes(std::span<const uint8_t> data) { size_ += data.size(); }
  size_t position() const { return size_; }
  void patch_u32(size_t, uint32_t) {}

 private:
  size_t size_ = 0;
};

// Appends to the caller's vector in the same pass that validates, so a
// term is walked once. The vector is grown ahead of the writes in doubling
// steps (its size runs ahead of what is written) and trimmed by finish().
class VectorSink {
 public:
  static constexpr bool kValidates = true;
  explicit VectorSink(std::vector<uint8_t>& out) : out_(out), start_(out.size()) {
    pos_ = out_.data() + start_;
    end_ = pos_;
  }
  void u8(uint8_t v) {
    room(1);
    *pos_++ = v;
  }
  void u16(uint16_t v) {
    room(2);
    pos_[0] = static_cast<uint8_t>(v >> 8);
    pos_[1] = static_cast<uint8_t>(v);
    pos_ += 2;
  }
  void u32(uint32_t v) {
    room(4);
    store_u32(pos_, v);
    pos_ += 4;
  }
  void u64(uint64_t v) {
    room(8);
    store_u32(pos_, static_cast<uint32_t>(v >> 32));
    store_u32(pos_ + 4, static_cast<uint32_t>(v));
    pos_ += 8;
  }
  void bytes(std::span<const uint8_t> data) {
    room(data.size());
    if (!data.empty()) std::memcpy(pos_, data.data(), data.size());
    pos_ += data.size();
  }
  // Bytes written so far, from where this sink started.
  size_t position() const { return static_cast<size_t>(pos_ - (out_.data() + start_)); }
  void patch_u32(size_t at, uint32_t v) { store_u32(out_.data() + start_ + at, v); }
  // Trims the vector to what was written. REQUIRES: called once, last.
  void finish() { out_.resize(start_ + position()); }

 private:
  static void store_u32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
  }
  void room(size_t n) {
    if (static_cast<size_t>(end_ - pos_) < n) grow(n);
  }
  void grow(size_t n);  // sinks.cc

  std::vector<uint8_t>& out_;
  size_t start_;
  uint8_t* pos_;
  uint8_t* end_;
};

}  // namespace beamlink::etf
