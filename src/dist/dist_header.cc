// Distribution headers and fragments; see dist_header.h.
#include "dist/dist_header.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dist/control_message.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

std::unexpected<Error> framing_error(Errc code, std::string_view what, std::string detail) {
  return fail(code, std::string(what) + ": " + detail);
}

// Prefixes an error from a lower layer with where it happened.
std::unexpected<Error> within(std::string_view what, std::string_view part, const Error& inner) {
  return fail(inner.code, std::string(what) + ": " + std::string(part) + ": " + inner.message);
}

}  // namespace

DistReader::DistReader(ReassemblyLimits limits, etf::DecodeLimits decode)
    : limits_(limits), decode_limits_(decode) {}

Result<bool> DistReader::read(std::span<const uint8_t> frame, DistMessage& out) {
  if (frame.empty())
    return framing_error(Errc::malformed, "dist frame", "empty (ticks are not messages)");
  if (frame[0] == etf::PASS_THROUGH) {
    return decode_terms(frame.subspan(1), nullptr, true, "pass-through", out);
  }
  if (frame[0] != etf::VERSION_MAGIC) {
    return framing_error(Errc::malformed, "dist frame",
                         "byte 0 is " + std::to_string(frame[0]) + ", expected 112 or 131");
  }
  if (frame.size() < 2) return framing_error(Errc::malformed, "dist frame", "truncated after 131");
  switch (frame[1]) {
    case etf::DIST_HEADER: {
      auto header = cache_.read(frame.subspan(2));
      if (!header) return within("DIST_HEADER", "atom cache", header.error());
      return decode_terms(frame.subspan(2 + header->consumed), &header->refs, false, "DIST_HEADER",
                          out);
    }
    case etf::DIST_FRAG_HEADER:
      return read_fragment(frame, true, out);
    case etf::DIST_FRAG_CONT:
      return read_fragment(frame, false, out);
    default:
      return framing_error(
          Errc::malformed, "dist frame",
          "131 followed by " + std::to_string(frame[1]) + ", expected 68, 69 or 70");
  }
}

Result<bool> DistReader::read_fragment(std::span<const uint8_t> frame, bool first,
                                       DistMessage& out) {
  const std::string_view what = first ? "DIST_FRAG_HEADER" : "DIST_FRAG_CONT";
  WireReader reader(frame, what);
  (void)reader.bytes(2, "tag");
  auto sequence_id = reader.integer(8, "sequence id");
  if (!sequence_id) return std::unexpected(sequence_id.error());
  auto fragment_id = reader.integer(8, "fragment id");
  if (!fragment_id) return std::unexpected(fragment_id.error());
  const std::string seq_text = "sequence " + std::to_string(*sequence_id);
  if (*fragment_id == 0) return framing_error(Errc::malformed, what, seq_text + ": fragment id 0");

  if (first) {
    if (sequences_.contains(*sequence_id)) {
      sequences_.erase(*sequence_id);
      return framing_error(Errc::malformed, what, seq_text + " is already open");
    }
    if (sequences_.size() >= limits_.max_sequences) {
      return framing_error(Errc::limit_exceeded, what,
                           seq_text + ": over " + std::to_string(limits_.max_sequences) +
                               " unfinished fragmented messages");
    }
    auto header = cache_.read(reader.rest());
    if (!header) return within(what, "atom cache", header.error());
    auto data = reader.rest().subspan(header->consumed);
    if (data.size() > limits_.max_message_size) {
      return framing_error(
          Errc::limit_exceeded, what,
          seq_text + ": over " + std::to_string(limits_.max_message_size) + " bytes");
    }
    if (*fragment_id == 1) {
      return decode_terms(data, &header->refs, false, what, out);
    }
    Sequence& sequence = sequences_[*sequence_id];
    sequence.next_fragment = *fragment_id - 1;
    sequence.refs = std::move(header->refs);
    sequence.data.assign(data.begin(), data.end());
    return false;
  }

  auto found = sequences_.find(*sequence_id);
  if (found == sequences_.end()) {
    return framing_error(Errc::malformed, what, seq_text + " was never started");
  }
  Sequence& sequence = found->second;
  if (*fragment_id != sequence.next_fragment) {
    const uint64_t expected = sequence.next_fragment;
    sequences_.erase(found);
    return framing_error(Errc::malformed, what,
                         seq_text + ": fragment " + std::to_string(*fragment_id) + ", expected " +
                             std::to_string(expected));
  }
  auto data = reader.rest();
  if (sequence.data.size() + data.size() > limits_.max_message_size) {
    sequences_.erase(found);
    return framing_error(
        Errc::limit_exceeded, what,
        seq_text + ": over " + std::to_string(limits_.max_message_size) + " bytes");
  }
  sequence.data.insert(sequence.data.end(), data.begin(), data.end());
  if (*fragment_id > 1) {
    --sequence.next_fragment;
    return false;
  }
  Sequence complete = std::move(sequence);
  sequences_.erase(found);
  return decode_terms(complete.data, &complete.refs, false, what, out);
}

Result<bool> DistReader::decode_terms(std::span<const uint8_t> data, const etf::AtomRefTable* refs,
                                      bool versioned, std::string_view what,
                                      DistMessage& out) const {
  etf::DecodeOptions options;
  options.limits = decode_limits_;
  options.atom_refs = refs;
  size_t offset = 0;
  // Decodes the next term into `into`.
  auto next = [&](std::string_view part, Term& into) -> Result<void> {
    if (versioned) {
      if (offset >= data.size() || data[offset] != etf::VERSION_MAGIC) {
        return within(what, part,
                      Error{Errc::malformed, "expected 131 at offset " + std::to_string(offset)});
      }
      ++offset;
      if (offset < data.size() && data[offset] == etf::COMPRESSED) {
        // A compressed term has no length of its own, so it must be the last.
        auto term = etf::decode(data.subspan(offset - 1), options);
        if (!term) return within(what, part, term.error());
        offset = data.size();
        into = std::move(*term);
        return {};
      }
    }
    auto decoded = etf::decode_one(data.subspan(offset), options);
    if (!decoded) return within(what, part, decoded.error());
    offset += decoded->consumed;
    into = std::move(decoded->term);
    return {};
  };

  if (auto control = next("control message", out.control); !control) {
    return std::unexpected(control.error());
  }
  const auto op = control_op(out.control);
  if (!op) {
    return framing_error(Errc::malformed, what, "control message is not a tuple with an op code");
  }
  if (offset < data.size()) {
    if (!out.payload) out.payload.emplace();
    if (auto payload = next("payload", *out.payload); !payload) {
      return std::unexpected(payload.error());
    }
  } else {
    out.payload.reset();
  }
  if (offset != data.size()) {
    return framing_error(Errc::malformed, what,
                         std::to_string(data.size() - offset) + " bytes after the payload");
  }
  if (carries_payload(*op) && !out.payload) {
    return framing_error(Errc::malformed, what,
                         "control message " + std::to_string(*op) + " without its payload");
  }
  return true;
}

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

}  // namespace

Result<void> append_message(std::vector<uint8_t>& out, const Term& control, const Term* payload,
                            const SendFormat& format, uint64_t sequence_id) {
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
  auto encoded = etf::encode_to(out, control, options);
  if (encoded && payload != nullptr) encoded = etf::encode_to(out, *payload, options);
  if (!encoded) {
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

}  // namespace beamlink::dist
