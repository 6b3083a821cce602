// etf/sinks.h - where the encoder puts bytes.
//
// The encoder runs twice per term, first over SizeSink (validates and
// counts), then over WriteSink into a buffer of exactly that size, so the
// writing pass needs no bounds checks or reallocation. Both expose the same
// inline interface; position() and patch_u32 let NEW_FUN_EXT fill in its
// Size field once its free variables are written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

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

// REQUIRES: the buffer has room for everything written (SizeSink's count).
class WriteSink {
 public:
  static constexpr bool kValidates = false;  // runs only after SizeSink passed
  explicit WriteSink(uint8_t* out) : begin_(out), out_(out) {}
  void u8(uint8_t v) { *out_++ = v; }
  void u16(uint16_t v) {
    out_[0] = static_cast<uint8_t>(v >> 8);
    out_[1] = static_cast<uint8_t>(v);
    out_ += 2;
  }
  void u32(uint32_t v) {
    store_u32(out_, v);
    out_ += 4;
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(std::span<const uint8_t> data) {
    if (!data.empty()) std::memcpy(out_, data.data(), data.size());
    out_ += data.size();
  }
  size_t position() const { return static_cast<size_t>(out_ - begin_); }
  void patch_u32(size_t at, uint32_t v) { store_u32(begin_ + at, v); }

 private:
  static void store_u32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
  }

  uint8_t* begin_;
  uint8_t* out_;
};

}  // namespace beamlink::etf
