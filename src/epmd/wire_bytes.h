// wire_bytes.h - big-endian writing and bounds-checked reading for EPMD codecs.
//
// ByteReader never reads past its span; every failed read returns an Error
// naming the field and the byte offset, so a caller can return it as is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::epmd {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline void put_u8(Bytes& out, uint8_t v) {
  out.push_back(v);
}
inline void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void put_u32(Bytes& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}
inline void put_text(Bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

class ByteReader {
 public:
  // `what` names the message in errors, e.g. "ALIVE2_REQ".
  ByteReader(ByteSpan bytes, std::string_view what) : bytes_(bytes), what_(what) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }

  Result<uint8_t> u8(std::string_view field);
  Result<uint16_t> u16(std::string_view field);
  Result<uint32_t> u32(std::string_view field);
  Result<std::string> text(size_t length, std::string_view field);

  // Error unless every byte was consumed.
  Result<void> expect_end();

  std::unexpected<Error> error(Errc code, std::string_view detail) const;

 private:
  Result<void> need(size_t count, std::string_view field);

  ByteSpan bytes_;
  std::string_view what_;
  size_t offset_ = 0;
};

}  // namespace beamlink::epmd
