// The public encode entry points: one encoding pass, optional zlib.
#include <utility>

#include "beamlink/etf.h"
#include "etf/compression.h"
#include "etf/encoder.h"
#include "etf/sinks.h"

namespace beamlink::etf {

namespace {

// Appends the term without the version byte; on failure `out` is left as it
// was.
Result<void> write_body(std::vector<uint8_t>& out, const Term& term,
                        const AtomRefIndex* atom_refs) {
  size_t start = out.size();
  VectorSink sink(out);
  Encoder<VectorSink> encoder(sink, atom_refs);
  if (auto ok = encoder.run(term); !ok) {
    out.resize(start);
    return ok;
  }
  sink.finish();
  return {};
}

}  // namespace

Result<void> encode_to(std::vector<uint8_t>& out, const Term& term, const EncodeOptions& options) {
  if (!options.compress) {
    size_t start = out.size();
    if (options.version) out.push_back(VERSION_MAGIC);
    auto written = write_body(out, term, options.atom_refs);
    if (!written) out.resize(start);
    return written;
  }
  std::vector<uint8_t> raw;
  if (auto written = write_body(raw, term, options.atom_refs); !written) return written;
  if (raw.size() > UINT32_MAX) {
    return fail(Errc::invalid_argument, "ETF encode: term too large to compress");
  }
  size_t start = out.size();
  if (options.version) out.push_back(VERSION_MAGIC);
  out.push_back(COMPRESSED);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(raw.size() >> shift));
  }
  size_t header = out.size() - start;
  if (auto deflated = deflate_to(out, raw, options.compression_level); !deflated) {
    out.resize(start);
    return deflated;
  }
  // Like term_to_binary: keep the compressed form only when it is smaller.
  // (131, 80, Size, zlib) against (131, raw): 5 + zlib < raw.
  size_t zlib_size = out.size() - start - header;
  if (zlib_size + 5 >= raw.size()) {
    out.resize(start);
    if (options.version) out.push_back(VERSION_MAGIC);
    out.insert(out.end(), raw.begin(), raw.end());
  }
  return {};
}

Result<std::vector<uint8_t>> encode(const Term& term, const EncodeOptions& options) {
  std::vector<uint8_t> out;
  if (auto ok = encode_to(out, term, options); !ok) return std::unexpected(std::move(ok.error()));
  return out;
}

size_t encoded_size(const Term& term, const EncodeOptions& options) {
  SizeSink sink;
  Encoder<SizeSink> encoder(sink, options.atom_refs);
  (void)encoder.run(term);
  return sink.position() + (options.version ? 1 : 0);
}

}  // namespace beamlink::etf
