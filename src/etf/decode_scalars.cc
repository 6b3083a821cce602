// Decoding of the leaf terms: big integers, floats, atoms, strings and
// binaries.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "etf/decoder.h"
#include "etf/utf8.h"

namespace beamlink::etf {

namespace {
constexpr size_t kMaxAtomCodePoints = 255;
constexpr size_t kFloatTextSize = 31;
}  // namespace

Result<Term> Decoder::read_small_big(At at) {
  uint8_t digits;
  if (!in_.u8(digits)) return truncated(at, 1);
  return read_big_digits(at, digits);
}

Result<Term> Decoder::read_large_big(At at) {
  uint32_t digits;
  if (!in_.u32(digits)) return truncated(at, 4);
  return read_big_digits(at, digits);
}

// Sign byte then `digits` little-endian base-256 digits. OTP accepts any
// nonzero sign as negative and non-minimal digits, so this does too; the
// value is normalised (int64 when it fits, no high zero digits otherwise).
Result<Term> Decoder::read_big_digits(At at, size_t digits) {
  uint8_t sign;
  if (!in_.u8(sign)) return truncated(at, 1);
  if (digits > in_.remaining()) return too_long(at, digits, "digits");
  std::span<const uint8_t> data;
  in_.bytes(digits, data);
  while (!data.empty() && data.back() == 0) data = data.first(data.size() - 1);
  bool negative = sign != 0;
  if (data.size() <= 8) {
    uint64_t magnitude = 0;
    for (size_t i = data.size(); i-- > 0;) magnitude = (magnitude << 8) | data[i];
    if (!negative && magnitude <= uint64_t{INT64_MAX}) return Term(static_cast<int64_t>(magnitude));
    if (negative && magnitude <= uint64_t{INT64_MAX} + 1) {
      return Term(static_cast<int64_t>(0 - magnitude));
    }
  }
  BigInt big;
  big.negative = negative;
  big.magnitude.assign(data.begin(), data.end());
  return Term(std::move(big));
}

Result<Term> Decoder::read_new_float(At at) {
  uint64_t bits;
  if (!in_.u64(bits)) return truncated(at, 8);
  double value = std::bit_cast<double>(bits);
  if (!std::isfinite(value)) return error(Errc::malformed, at, "not a finite float");
  return Term(value);
}

// 31 bytes of "%.20e" text padded with NULs. Like OTP: the text before the
// first NUL must be a whole finite number; bytes after it are ignored.
Result<Term> Decoder::read_float_text(At at) {
  std::span<const uint8_t> data;
  if (!in_.bytes(kFloatTextSize, data)) return truncated(at, kFloatTextSize);
  const char* text = reinterpret_cast<const char*>(data.data());
  size_t length = strnlen(text, kFloatTextSize);
  double value = 0;
  auto [end, ec] = std::from_chars(text, text + length, value);
  if (length == 0 || ec != std::errc() || end != text + length || !std::isfinite(value)) {
    return error(Errc::malformed, at, "float text is not a finite number");
  }
  return Term(value);
}

Result<Atom> Decoder::read_atom_body(At at) {
  bool utf8 = at.tag == ATOM_UTF8_EXT || at.tag == SMALL_ATOM_UTF8_EXT;
  size_t length;
  switch (at.tag) {
    case ATOM_EXT:
    case ATOM_UTF8_EXT: {
      uint16_t n;
      if (!in_.u16(n)) return truncated(at, 2);
      length = n;
      break;
    }
    case SMALL_ATOM_EXT:
    case SMALL_ATOM_UTF8_EXT: {
      uint8_t n;
      if (!in_.u8(n)) return truncated(at, 1);
      length = n;
      break;
    }
    case ATOM_CACHE_REF: {
      uint8_t index;
      if (!in_.u8(index)) return truncated(at, 1);
      if (options_.atom_refs == nullptr) {
        return error(Errc::malformed, at, "atom cache reference without a distribution header");
      }
      if (index >= options_.atom_refs->atoms.size()) {
        return error(Errc::malformed, at,
                     "atom cache reference " + std::to_string(index) +
                         " but the distribution header has " +
                         std::to_string(options_.atom_refs->atoms.size()));
      }
      return options_.atom_refs->atoms[index];
    }
    default:
      return error(Errc::malformed, at, "expected an atom");
  }
  if (length > in_.remaining()) return too_long(at, length, "bytes");
  if (length > kMaxAtomCodePoints * (utf8 ? 4 : 1)) {
    return error(Errc::malformed, at,
                 "atom of " + std::to_string(length) + " bytes is over 255 characters");
  }
  std::span<const uint8_t> data;
  in_.bytes(length, data);
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  // Latin-1 text above 0x7f means other code points than the same bytes
  // read as UTF-8.
  const bool same_as_utf8 = utf8 || std::all_of(text.begin(), text.end(), [](char c) {
                              return static_cast<unsigned char>(c) < 0x80;
                            });
  // An atom the table has: no copy, and its validity is already known.
  if (AtomName known; same_as_utf8 && AtomName::lookup(text, known) && known.wire_valid()) {
    return Atom(std::move(known));
  }
  if (!utf8) {
    std::string converted;
    latin1_to_utf8(text, converted);
    return Atom(converted);
  }
  auto code_points = utf8_code_points(text);
  if (!code_points) return error(Errc::malformed, at, "atom text is not valid UTF-8");
  if (*code_points > kMaxAtomCodePoints) {
    return error(Errc::malformed, at,
                 "atom of " + std::to_string(*code_points) + " characters is over 255");
  }
  return Atom(text);
}

// STRING_EXT: a list of bytes, each an integer 0..255.
Result<Term> Decoder::read_string(At at) {
  uint16_t length;
  if (!in_.u16(length)) return truncated(at, 2);
  if (length > in_.remaining()) return too_long(at, length, "bytes");
  if (auto counted = count_terms(at, length); !counted) return std::unexpected(counted.error());
  std::span<const uint8_t> data;
  in_.bytes(length, data);
  if (length == 0) return Term();
  std::vector<Term> elements;
  elements.reserve(length);
  for (uint8_t byte : data) elements.emplace_back(int64_t{byte});
  return Term(List{std::move(elements), nullptr});
}

Bytes Decoder::make_bytes(std::span<const uint8_t> data) const {
  switch (mode_) {
    case PayloadMode::copy:
      return Bytes::copy(data);
    case PayloadMode::borrow:
      return Bytes::borrow(data);
    case PayloadMode::share:
      return Bytes::share(owner_, data);
  }
  return Bytes::copy(data);
}

Result<Term> Decoder::read_binary(At at) {
  uint32_t length;
  if (!in_.u32(length)) return truncated(at, 4);
  if (length > in_.remaining()) return too_long(at, length, "bytes");
  std::span<const uint8_t> data;
  in_.bytes(length, data);
  return Term(Binary{make_bytes(data)});
}

// BIT_BINARY_EXT: Len bytes, the last holding Bits (1..8) significant high
// bits. As OTP does: an empty one must say 0 bits, 8 bits is a plain binary,
// and unused low bits are cleared rather than rejected.
Result<Term> Decoder::read_bit_binary(At at) {
  uint32_t length;
  uint8_t bits;
  if (!in_.u32(length)) return truncated(at, 4);
  if (!in_.u8(bits)) return truncated(at, 1);
  if (length > in_.remaining()) return too_long(at, length, "bytes");
  if (length == 0 ? bits != 0 : (bits == 0 || bits > 8)) {
    return error(Errc::malformed, at,
                 "Bits is " + std::to_string(bits) + " for " + std::to_string(length) + " bytes");
  }
  std::span<const uint8_t> data;
  in_.bytes(length, data);
  if (length == 0 || bits == 8) return Term(Binary{make_bytes(data)});
  auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
  if ((data.back() & ~mask) == 0) return Term(BitString{make_bytes(data), bits});
  std::vector<uint8_t> cleared(data.begin(), data.end());
  cleared.back() &= mask;
  return Term(BitString{Bytes::take(std::move(cleared)), bits});
}

}  // namespace beamlink::etf
