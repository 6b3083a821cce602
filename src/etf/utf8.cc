#include "etf/utf8.h"

#include <cstdint>
#include <cstring>

namespace beamlink::etf {

namespace {

// Atoms are nearly always ASCII (module, function and node names), so eight
// bytes at a time are checked for a set high bit before any decoding.
const uint8_t* skip_ascii(const uint8_t* p, const uint8_t* end) {
  constexpr uint64_t kHighBits = 0x8080808080808080u;
  while (end - p >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    if ((word & kHighBits) != 0) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return p;
}

}  // namespace

std::optional<size_t> utf8_code_points(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* end = p + text.size();
  size_t count = 0;
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      const uint8_t* ascii_end = skip_ascii(p, end);
      count += static_cast<size_t>(ascii_end - p);
      p = ascii_end;
      continue;
    }
    size_t extra;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (static_cast<size_t>(end - p) <= extra) return std::nullopt;
    for (size_t i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    p += extra + 1;
    ++count;
  }
  return count;
}

void latin1_to_utf8(std::string_view text, std::string& out) {
  out.reserve(out.size() + text.size());
  for (char ch : text) {
    auto c = static_cast<uint8_t>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

}  // namespace beamlink::etf
