// Character classes follow OTP 25's erl_scan and io_lib, which is what the
// printer must agree with byte for byte.
#include "text/chars.h"

#include <algorithm>
#include <array>

namespace beamlink::text {

std::optional<Decoded> decode_utf8(std::string_view text) {
  if (text.empty()) return std::nullopt;
  auto byte = [&](size_t i) { return uint8_t(text[i]); };
  uint8_t lead = byte(0);
  if (lead < 0x80) return Decoded{lead, 1};
  size_t length;
  char32_t code_point;
  char32_t minimum;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF) return std::nullopt;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return std::nullopt;
  return Decoded{code_point, length};
}

bool valid_utf8(std::string_view text) {
  while (!text.empty()) {
    auto decoded = decode_utf8(text);
    if (!decoded) return false;
    text.remove_prefix(decoded->length);
  }
  return true;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
    out += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xF0 | (c >> 18));
    out += char(0x80 | ((c >> 12) & 0x3F));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

namespace {

bool escapable_control(int64_t c) {
  return (c >= '\b' && c <= '\r') || c == 0x1B;
}

}  // namespace

bool printable_latin1(int64_t c) {
  return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xFF) || escapable_control(c);
}

bool printable_unicode(int64_t c) {
  return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c < 0xD800) || (c > 0xDFFF && c < 0xFFFE) ||
         (c > 0xFFFF && c <= 0x10FFFF) || escapable_control(c);
}

bool atom_start_char(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

bool atom_name_char(char32_t c) {
  return atom_start_char(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '@' || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

bool variable_start_char(char32_t c) {
  return (c >= 'A' && c <= 'Z') || c == '_' || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

bool reserved_word(std::string_view name) {
  static constexpr std::array<std::string_view, 27> kReserved = {
      "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
      "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
      "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
  return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end();
}

}  // namespace beamlink::text
