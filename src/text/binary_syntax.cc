// Binary literals: <<>>, <<1,2>>, <<"text">>, <<"é"/utf8>>, <<1:3>>,
// <<X:Size/Type-Specifiers>> with the types, endianness and unit of
// Erlang's bit syntax (16-bit floats excepted).
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "text/chars.h"
#include "text/parser.h"

namespace beamlink::text {
namespace {

enum class SegmentType { integer, floating, binary, bitstring, utf8, utf16, utf32 };

struct SegmentSpec {
  std::optional<SegmentType> type;
  bool little = false;
  std::optional<uint64_t> size;
  std::optional<uint64_t> unit;
};

std::optional<SegmentType> type_named(std::string_view name) {
  if (name == "integer") return SegmentType::integer;
  if (name == "float") return SegmentType::floating;
  if (name == "binary" || name == "bytes") return SegmentType::binary;
  if (name == "bitstring" || name == "bits") return SegmentType::bitstring;
  if (name == "utf8") return SegmentType::utf8;
  if (name == "utf16") return SegmentType::utf16;
  if (name == "utf32") return SegmentType::utf32;
  return std::nullopt;
}

void append_unsigned(BitWriter& out, uint64_t value, unsigned bytes, bool little) {
  for (unsigned i = 0; i < bytes; ++i) {
    unsigned shift = 8 * (little ? i : bytes - 1 - i);
    out.append_bits(uint8_t(value >> shift), 8);
  }
}

void append_code_point(BitWriter& out, char32_t c, SegmentType type, bool little) {
  if (type == SegmentType::utf8) {
    std::string utf8;
    append_utf8(c, utf8);
    for (char byte : utf8) out.append_bits(uint8_t(byte), 8);
  } else if (type == SegmentType::utf32) {
    append_unsigned(out, c, 4, little);
  } else if (c < 0x10000) {
    append_unsigned(out, c, 2, little);
  } else {
    char32_t v = c - 0x10000;
    append_unsigned(out, 0xD800 + (v >> 10), 2, little);
    append_unsigned(out, 0xDC00 + (v & 0x3FF), 2, little);
  }
}

}  // namespace

Result<Term> Parser::binary(size_t depth) {
  if (depth >= kMaxDepth || binary_nesting_ >= kMaxBinaryNesting) {
    return error_here("binaries nest deeper than " + std::to_string(kMaxBinaryNesting) + " levels",
                      Errc::limit_exceeded);
  }
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  BitWriter out;
  ++binary_nesting_;
  auto ok = sequence(">>", "',' or '>>'", [&] { return segment(out, depth + 1); });
  --binary_nesting_;
  if (!ok) return std::unexpected(ok.error());
  return out.take();
}

Result<void> Parser::segment(BitWriter& out, size_t depth) {
  size_t start = token_.offset;
  std::optional<Term> value;
  std::u32string chars;
  bool is_string = token_.kind == TokenKind::string;
  if (is_string) {
    while (token_.kind == TokenKind::string) {
      chars += token_.chars;
      if (auto ok = advance(); !ok) return std::unexpected(ok.error());
    }
  } else if (token_.kind == TokenKind::integer || token_.kind == TokenKind::floating ||
             token_.is("-") || token_.is("+") || token_.is("<<")) {
    auto parsed = token_.is("<<") ? binary(depth) : term(depth);
    if (!parsed) return std::unexpected(parsed.error());
    value = std::move(*parsed);
  } else {
    return unexpected("a segment value (integer, float, string or binary)");
  }

  SegmentSpec spec;
  if (token_.is(":")) {
    if (auto ok = advance(); !ok) return std::unexpected(ok.error());
    const int64_t* size = token_.value.get_if<int64_t>();
    if (token_.kind != TokenKind::integer || size == nullptr) return unexpected("a segment size");
    if (uint64_t(*size) > kMaxBinaryBits) {
      return error_here("segment size over the limit", Errc::limit_exceeded);
    }
    spec.size = uint64_t(*size);
    if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  }
  if (token_.is("/")) {
    do {
      if (auto ok = advance(); !ok) return std::unexpected(ok.error());
      if (token_.kind != TokenKind::atom) return unexpected("a type specifier");
      std::string name(token_.source);
      size_t name_offset = token_.offset;
      if (auto ok = advance(); !ok) return std::unexpected(ok.error());
      if (auto type = type_named(name)) {
        spec.type = type;
      } else if (name == "little" || name == "big" || name == "native") {
        spec.little =
            name == "little" || (name == "native" && std::endian::native == std::endian::little);
      } else if (name == "unit") {
        if (auto ok = expect(":", "':' after unit"); !ok) return std::unexpected(ok.error());
        const int64_t* unit = token_.value.get_if<int64_t>();
        if (token_.kind != TokenKind::integer || unit == nullptr || *unit < 1 || *unit > 256) {
          return unexpected("a unit of 1 to 256");
        }
        spec.unit = uint64_t(*unit);
        if (auto ok = advance(); !ok) return std::unexpected(ok.error());
      } else if (name != "signed" && name != "unsigned") {
        return lexer_.error_at(name_offset, "unknown type specifier '" + name + "'");
      }
    } while (token_.is("-"));
  }

  auto fail_here = [&](std::string message) { return lexer_.error_at(start, message); };
  SegmentType type = spec.type.value_or(value && value->is<double>() ? SegmentType::floating
                                        : value && (value->is<Binary>() || value->is<BitString>())
                                            ? SegmentType::bitstring
                                            : SegmentType::integer);
  bool unicode =
      type == SegmentType::utf8 || type == SegmentType::utf16 || type == SegmentType::utf32;
  if (unicode && (spec.size || spec.unit)) return fail_here("utf segments take no size or unit");
  uint64_t unit = spec.unit.value_or(type == SegmentType::binary ? 8 : 1);
  std::optional<uint64_t> bits;
  if (spec.size) bits = *spec.size * unit;
  if (bits && *bits > kMaxBinaryBits) return fail_here("segment size over the limit");

  // Appends one integer-valued element (a number, or one character of a string).
  auto append_one = [&](const Term& element) -> Result<void> {
    if (out.bit_count() > kMaxBinaryBits) {
      return lexer_.error_at(start, "binary over the size limit", Errc::limit_exceeded);
    }
    if (unicode) {
      const int64_t* c = element.get_if<int64_t>();
      if (c == nullptr || *c < 0 || *c > 0x10FFFF || (*c >= 0xD800 && *c <= 0xDFFF)) {
        return fail_here("utf segment value is not a Unicode code point");
      }
      append_code_point(out, char32_t(*c), type, spec.little);
      return {};
    }
    if (type == SegmentType::floating) {
      double d = 0;
      if (const double* f = element.get_if<double>())
        d = *f;
      else if (const int64_t* i = element.get_if<int64_t>())
        d = double(*i);
      else if (const BigInt* b = element.get_if<BigInt>())
        d = b->to_double();
      uint64_t size = bits.value_or(64);
      if (size == 64) {
        append_unsigned(out, std::bit_cast<uint64_t>(d), 8, spec.little);
      } else if (size == 32 && std::isfinite(float(d))) {
        append_unsigned(out, std::bit_cast<uint32_t>(float(d)), 4, spec.little);
      } else {
        return fail_here(size == 32 ? "float does not fit 32 bits"
                                    : "float segments must be 32 or 64 bits");
      }
      return {};
    }
    if (type != SegmentType::integer)
      return fail_here("binary and bits segments need a binary value");
    if (element.is<double>()) return fail_here("a float segment needs /float");
    uint64_t size = bits.value_or(8);
    if (spec.little && size % 8 != 0) {
      return lexer_.error_at(start, "little-endian integers must be whole bytes",
                             Errc::unsupported);
    }
    out.append_integer(element, size, spec.little);
    return {};
  };

  if (is_string) {
    if (type == SegmentType::binary || type == SegmentType::bitstring) {
      return fail_here("a string segment cannot be binary or bits");
    }
    for (char32_t c : chars) {
      if (auto ok = append_one(Term(int64_t(c))); !ok) return ok;
    }
    return {};
  }
  if (type == SegmentType::binary || type == SegmentType::bitstring) {
    const Bytes* bytes = nullptr;
    size_t available = 0;
    if (const Binary* b = value->get_if<Binary>())
      bytes = &b->bytes, available = b->bytes.size() * 8;
    if (const BitString* b = value->get_if<BitString>()) {
      bytes = &b->bytes;
      available = b->bytes.empty() ? 0 : (b->bytes.size() - 1) * 8 + b->bits;
    }
    if (bytes == nullptr) return fail_here("binary and bits segments need a binary value");
    uint64_t take = bits.value_or(available);
    if (take > available) return fail_here("segment size is larger than the binary");
    if (type == SegmentType::binary && take % 8 != 0) {
      return fail_here("a binary segment must be whole bytes; use /bits");
    }
    out.append_prefix(bytes->span(), take);
    return {};
  }
  return append_one(*value);
}

}  // namespace beamlink::text
