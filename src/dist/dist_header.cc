// Distribution headers and fragments; see dist_header.h.
#include "dist/dist_header.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dist/control_message.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

// Rewrites the terms at out[terms_begin..] in place into DIST_FRAG_HEADER +
// DIST_FRAG_CONT frames starting at `start`, moving each chunk once, last
// first, so that no chunk is overwritten before it has moved.
void fragment_in_place(std::vector<uint8_t>& out, size_t start, size_t terms_begin,
                       size_t fragment_size, uint64_t sequence_id) {
  constexpr size_t kHeader = 4 + 2 + 8 + 8;  // length, 131 + tag, sequence id, fragment id
  const size_t terms = out.size() - terms_begin;
  const size_t count = (terms + fragment_size - 1) / fragment_size;
  out.resize(start + terms + count * kHeader + 1);
  uint8_t* base = out.data();
  for (size_t k = count; k-- > 0;) {
    const size_t chunk = std::min(fragment_size, terms - k * fragment_size);
    const size_t frame = start + k * (fragment_size + kHeader) + (k > 0 ? 1 : 0);
    const size_t header = kHeader + (k == 0 ? 1 : 0);
    std::memmove(base + frame + header, base + terms_begin + k * fragment_size, chunk);
    uint8_t* at = base + frame;
    store_be32(at, static_cast<uint32_t>(header - 4 + chunk));
    at[4] = etf::VERSION_MAGIC;
    at[5] = k == 0 ? etf::DIST_FRAG_HEADER : etf::DIST_FRAG_CONT;
    for (int i = 0; i < 8; ++i) at[6 + i] = static_cast<uint8_t>(sequence_id >> (56 - 8 * i));
    const uint64_t id = count - k;
    for (int i = 0; i < 8; ++i) at[14 + i] = static_cast<uint8_t>(id >> (56 - 8 * i));
    if (k == 0) at[22] = 0;  // NumberOfAtomCacheRefs
  }
}

// Frames the terms `encode` appends (with `options`) into one message.
template <class Encode>
Result<void> append_frames(std::vector<uint8_t>& out, const SendFormat& format,
                           uint64_t sequence_id, Encode&& encode) {
  const size_t start = out.size();
  const bool header = format.fragments;
  out.resize(start + 4);
  etf::EncodeOptions options;
  if (header) {
    out.insert(out.end(), {etf::VERSION_MAGIC, etf::DIST_HEADER, 0});
    options.version = false;
  } else {
    out.push_back(etf::PASS_THROUGH);
  }
  const size_t terms_begin = out.size();
  if (auto encoded = encode(options); !encoded) {
    out.resize(start);
    return std::unexpected(encoded.error());
  }
  const size_t terms = out.size() - terms_begin;
  if (header && terms > format.fragment_size) {
    fragment_in_place(out, start, terms_begin, format.fragment_size, sequence_id);
    return {};
  }
  const size_t body = out.size() - start - 4;
  if (body > UINT32_MAX) {
    out.resize(start);
    return fail(Errc::invalid_argument,
                "message of " + std::to_string(body) + " bytes to a peer without DFLAG_FRAGMENTS");
  }
  store_be32(out.data() + start, static_cast<uint32_t>(body));
  return {};
}

}  // namespace

Result<void> append_message(std::vector<uint8_t>& out, const Term& control, const Term* payload,
                            const SendFormat& format, uint64_t sequence_id) {
  return append_frames(out, format, sequence_id, [&](const etf::EncodeOptions& options) {
    auto encoded = etf::encode_to(out, control, options);
    if (encoded && payload != nullptr) encoded = etf::encode_to(out, *payload, options);
    return encoded;
  });
}

Result<void> append_message(std::vector<uint8_t>& out, std::span<const uint8_t> control,
                            const Term* payload, const SendFormat& format, uint64_t sequence_id) {
  return append_frames(out, format, sequence_id,
                       [&](const etf::EncodeOptions& options) -> Result<void> {
                         // Pass-through frames (no dist header) carry each term
                         // with its own 131, the control message's too.
                         if (options.version) out.push_back(etf::VERSION_MAGIC);
                         out.insert(out.end(), control.begin(), control.end());
                         if (payload == nullptr) return {};
                         return etf::encode_to(out, *payload, options);
                       });
}

}  // namespace beamlink::dist
