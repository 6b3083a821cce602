#include "epmd/wire_bytes.h"

namespace beamlink::epmd {

std::unexpected<Error> ByteReader::error(Errc code, std::string_view detail) const {
  std::string message(what_);
  message += " at offset ";
  message += std::to_string(offset_);
  message += ": ";
  message += detail;
  return fail(code, std::move(message));
}

Result<void> ByteReader::need(size_t count, std::string_view field) {
  if (remaining() >= count) return {};
  std::string detail = "truncated ";
  detail += field;
  detail += " (need " + std::to_string(count) + " bytes, have " + std::to_string(remaining()) + ")";
  return error(Errc::malformed, detail);
}

Result<uint8_t> ByteReader::u8(std::string_view field) {
  if (auto ok = need(1, field); !ok) return std::unexpected(ok.error());
  return bytes_[offset_++];
}

Result<uint16_t> ByteReader::u16(std::string_view field) {
  if (auto ok = need(2, field); !ok) return std::unexpected(ok.error());
  uint16_t v = static_cast<uint16_t>((bytes_[offset_] << 8) | bytes_[offset_ + 1]);
  offset_ += 2;
  return v;
}

Result<uint32_t> ByteReader::u32(std::string_view field) {
  if (auto ok = need(4, field); !ok) return std::unexpected(ok.error());
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | bytes_[offset_ + i];
  offset_ += 4;
  return v;
}

Result<std::string> ByteReader::text(size_t length, std::string_view field) {
  if (auto ok = need(length, field); !ok) return std::unexpected(ok.error());
  std::string out(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
  offset_ += length;
  return out;
}

Result<void> ByteReader::expect_end() {
  if (remaining() == 0) return {};
  return error(Errc::malformed, std::to_string(remaining()) + " trailing bytes");
}

}  // namespace beamlink::epmd
