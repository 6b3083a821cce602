// dist/wire.h - big-endian integers for the distribution codecs.
//
// WireReader never reads past its span: each read either succeeds or
// returns an Error naming the message, the field and the byte offset
// ("challenge_reply: digest at offset 5: truncated (need 16 bytes, 3 left)").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::dist {

inline void append_be(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(value >> shift));
  }
}

inline void store_be32(uint8_t* at, uint32_t value) {
  at[0] = static_cast<uint8_t>(value >> 24);
  at[1] = static_cast<uint8_t>(value >> 16);
  at[2] = static_cast<uint8_t>(value >> 8);
  at[3] = static_cast<uint8_t>(value);
}

inline uint64_t load_be(const uint8_t* at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | at[i];
  return value;
}

class WireReader {
 public:
  WireReader(std::span<const uint8_t> bytes, std::string_view what) : bytes_(bytes), what_(what) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  std::span<const uint8_t> rest() const { return bytes_.subspan(offset_); }

  Result<uint64_t> integer(int size, std::string_view field) {
    if (auto ok = need(static_cast<size_t>(size), field); !ok) return std::unexpected(ok.error());
    const uint64_t value = load_be(bytes_.data() + offset_, size);
    offset_ += static_cast<size_t>(size);
    return value;
  }
  Result<std::span<const uint8_t>> bytes(size_t count, std::string_view field) {
    if (auto ok = need(count, field); !ok) return std::unexpected(ok.error());
    auto view = bytes_.subspan(offset_, count);
    offset_ += count;
    return view;
  }

  std::unexpected<Error> error(Errc code, std::string_view field, std::string_view detail) const {
    return fail(code, std::string(what_) + ": " + std::string(field) + " at offset " +
                          std::to_string(offset_) + ": " + std::string(detail));
  }

 private:
  Result<void> need(size_t count, std::string_view field) const {
    if (remaining() >= count) return {};
    return error(Errc::malformed, field,
                 "truncated (need " + std::to_string(count) + " bytes, " +
                     std::to_string(remaining()) + " left)");
  }

  std::span<const uint8_t> bytes_;
  std::string_view what_;
  size_t offset_ = 0;
};

}  // namespace beamlink::dist
