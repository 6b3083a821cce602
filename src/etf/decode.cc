// The public decode entry points: the version byte, compressed terms
// (131, 80) and the trailing-bytes rule, around the Decoder.
#include <utility>

#include "beamlink/etf.h"
#include "etf/compression.h"
#include "etf/decoder.h"
#include "etf/reader.h"

namespace beamlink::etf {

namespace {

constexpr const char* kInflated = " of the decompressed term";

std::unexpected<Error> trailing(size_t offset, size_t count, const char* where = "") {
  return fail(Errc::malformed, "ETF at offset " + std::to_string(offset) + where + ": " +
                                   std::to_string(count) + " trailing bytes after the term");
}

Result<Term> decode_exact(std::span<const uint8_t> data, size_t base, const DecodeOptions& options,
                          PayloadMode mode, std::shared_ptr<const void> owner, const char* where) {
  Decoder decoder(data, base, options, mode, std::move(owner), where);
  auto term = decoder.run();
  if (!term) return term;
  if (decoder.consumed() != data.size()) {
    return trailing(base + decoder.consumed(), data.size() - decoder.consumed(), where);
  }
  return term;
}

// `owner` is null unless the caller's buffer may be shared (decode_shared).
Result<Term> decode_external(std::span<const uint8_t> data, const DecodeOptions& options,
                             std::shared_ptr<const void> owner) {
  const size_t max_size = options.limits.max_size;
  if (data.empty()) return fail(Errc::malformed, "ETF at offset 0: empty input");
  if (data[0] != VERSION_MAGIC) {
    return fail(Errc::malformed,
                "ETF at offset 0: expected version byte 131, got " + std::to_string(data[0]));
  }
  if (data.size() < 2 || data[1] != COMPRESSED) {
    if (data.size() > max_size) {
      return fail(Errc::limit_exceeded, "ETF at offset 0: input of " + std::to_string(data.size()) +
                                            " bytes is over max_size (" + std::to_string(max_size) +
                                            ")");
    }
    PayloadMode mode =
        owner ? PayloadMode::share
              : (options.binaries == BinaryMode::borrow ? PayloadMode::borrow : PayloadMode::copy);
    return decode_exact(data.subspan(1), 1, options, mode, std::move(owner), "");
  }
  Reader in(data.subspan(2), 2);
  uint32_t declared;
  if (!in.u32(declared)) {
    return fail(Errc::malformed, "ETF COMPRESSED (80) at offset 1: truncated: need 4 bytes, " +
                                     std::to_string(in.remaining()) + " left");
  }
  if (declared > max_size) {
    return fail(Errc::limit_exceeded,
                "ETF COMPRESSED (80) at offset 1: declares " + std::to_string(declared) +
                    " uncompressed bytes, over max_size (" + std::to_string(max_size) + ")");
  }
  if (declared == 0) {
    return fail(Errc::malformed, "ETF COMPRESSED (80) at offset 1: declares 0 uncompressed bytes");
  }
  auto inflated = inflate_exact(data.subspan(6), declared);
  if (!inflated) {
    return fail(inflated.error().code,
                "ETF COMPRESSED (80) at offset 1: " + inflated.error().message);
  }
  // The inflated bytes live only as long as someone holds them, so views of
  // them (borrow and share modes) must share ownership of the buffer.
  if (options.binaries == BinaryMode::copy && !owner) {
    return decode_exact(*inflated, 0, options, PayloadMode::copy, nullptr, kInflated);
  }
  auto buffer = std::make_shared<const std::vector<uint8_t>>(std::move(*inflated));
  std::span<const uint8_t> view(*buffer);
  return decode_exact(view, 0, options, PayloadMode::share, std::move(buffer), kInflated);
}

}  // namespace

Result<Term> decode(std::span<const uint8_t> data, const DecodeOptions& options) {
  return decode_external(data, options, nullptr);
}

Result<Term> decode_shared(std::shared_ptr<const std::vector<uint8_t>> buffer,
                           DecodeOptions options) {
  if (!buffer) return fail(Errc::invalid_argument, "decode_shared: null buffer");
  std::span<const uint8_t> data(*buffer);
  return decode_external(data, options, std::shared_ptr<const void>(std::move(buffer)));
}

Result<Decoded> decode_one(std::span<const uint8_t> data, const DecodeOptions& options) {
  PayloadMode mode =
      options.binaries == BinaryMode::borrow ? PayloadMode::borrow : PayloadMode::copy;
  Decoder decoder(data, 0, options, mode, nullptr);
  auto term = decoder.run();
  if (!term) return std::unexpected(std::move(term.error()));
  if (decoder.consumed() > options.limits.max_size) {
    return fail(Errc::limit_exceeded,
                "ETF at offset 0: term of " + std::to_string(decoder.consumed()) +
                    " bytes is over max_size (" + std::to_string(options.limits.max_size) + ")");
  }
  return Decoded{std::move(*term), decoder.consumed()};
}

}  // namespace beamlink::etf
