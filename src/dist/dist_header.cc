// Distribution headers and fragments; see dist_header.h.
#include "dist/dist_header.h"

#include <algorithm>
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

Result<std::optional<DistMessage>> DistReader::read(std::span<const uint8_t> frame) {
  if (frame.empty())
    return framing_error(Errc::malformed, "dist frame", "empty (ticks are not messages)");
  if (frame[0] == etf::PASS_THROUGH) {
    auto message = decode_terms(frame.subspan(1), nullptr, true, "pass-through");
    if (!message) return std::unexpected(message.error());
    return std::optional<DistMessage>(std::move(*message));
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
      auto message =
          decode_terms(frame.subspan(2 + header->consumed), &header->refs, false, "DIST_HEADER");
      if (!message) return std::unexpected(message.error());
      return std::optional<DistMessage>(std::move(*message));
    }
    case etf::DIST_FRAG_HEADER:
      return read_fragment(frame, true);
    case etf::DIST_FRAG_CONT:
      return read_fragment(frame, false);
    default:
      return framing_error(
          Errc::malformed, "dist frame",
          "131 followed by " + std::to_string(frame[1]) + ", expected 68, 69 or 70");
  }
}

Result<std::optional<DistMessage>> DistReader::read_fragment(std::span<const uint8_t> frame,
                                                             bool first) {
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
      auto message = decode_terms(data, &header->refs, false, what);
      if (!message) return std::unexpected(message.error());
      return std::optional<DistMessage>(std::move(*message));
    }
    Sequence& sequence = sequences_[*sequence_id];
    sequence.next_fragment = *fragment_id - 1;
    sequence.refs = std::move(header->refs);
    sequence.data.assign(data.begin(), data.end());
    return std::optional<DistMessage>();
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
    return std::optional<DistMessage>();
  }
  Sequence complete = std::move(sequence);
  sequences_.erase(found);
  auto message = decode_terms(complete.data, &complete.refs, false, what);
  if (!message) return std::unexpected(message.error());
  return std::optional<DistMessage>(std::move(*message));
}

Result<DistMessage> DistReader::decode_terms(std::span<const uint8_t> data,
                                             const etf::AtomRefTable* refs, bool versioned,
                                             std::string_view what) const {
  etf::DecodeOptions options;
  options.limits = decode_limits_;
  options.atom_refs = refs;
  size_t offset = 0;
  auto next = [&](std::string_view part) -> Result<Term> {
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
        return term;
      }
    }
    auto decoded = etf::decode_one(data.subspan(offset), options);
    if (!decoded) return within(what, part, decoded.error());
    offset += decoded->consumed;
    return std::move(decoded->term);
  };

  auto control = next("control message");
  if (!control) return std::unexpected(control.error());
  const auto op = control_op(*control);
  if (!op) {
    return framing_error(Errc::malformed, what, "control message is not a tuple with an op code");
  }
  DistMessage message{std::move(*control), std::nullopt};
  if (offset < data.size()) {
    auto payload = next("payload");
    if (!payload) return std::unexpected(payload.error());
    message.payload = std::move(*payload);
  }
  if (offset != data.size()) {
    return framing_error(Errc::malformed, what,
                         std::to_string(data.size() - offset) + " bytes after the payload");
  }
  if (carries_payload(*op) && !message.payload) {
    return framing_error(Errc::malformed, what,
                         "control message " + std::to_string(*op) + " without its payload");
  }
  return message;
}

Result<void> append_message(std::vector<uint8_t>& out, const Term& control, const Term* payload,
                            const SendFormat& format, uint64_t sequence_id) {
  const size_t start = out.size();
  out.resize(start + 4);
  out.push_back(etf::PASS_THROUGH);
  if (auto ok = etf::encode_to(out, control); !ok) {
    out.resize(start);
    return std::unexpected(ok.error());
  }
  const size_t control_end = out.size();
  if (payload != nullptr) {
    if (auto ok = etf::encode_to(out, *payload); !ok) {
      out.resize(start);
      return std::unexpected(ok.error());
    }
  }
  const size_t body = out.size() - start - 4;
  const size_t terms = body - 1 - (payload != nullptr ? 2 : 1);  // without 112 and the 131s
  if (!format.fragments || terms <= format.fragment_size) {
    if (body > UINT32_MAX) {
      out.resize(start);
      return fail(Errc::invalid_argument, "message of " + std::to_string(body) +
                                              " bytes to a peer without DFLAG_FRAGMENTS");
    }
    store_be32(out.data() + start, static_cast<uint32_t>(body));
    return {};
  }

  // Too big for one frame: take the terms out (without their 131s) and cut
  // them into fragments.
  std::vector<uint8_t> data;
  data.reserve(terms);
  data.insert(data.end(), out.begin() + static_cast<ptrdiff_t>(start + 6),
              out.begin() + static_cast<ptrdiff_t>(control_end));
  if (payload != nullptr) {
    data.insert(data.end(), out.begin() + static_cast<ptrdiff_t>(control_end + 1), out.end());
  }
  out.resize(start);
  const size_t size = format.fragment_size;
  const uint64_t count = (data.size() + size - 1) / size;
  out.reserve(start + data.size() + count * 23);
  for (uint64_t index = 0; index < count; ++index) {
    const size_t offset = static_cast<size_t>(index) * size;
    const size_t chunk = std::min(size, data.size() - offset);
    const bool first = index == 0;
    append_be(out, chunk + 18 + (first ? 1 : 0), 4);
    out.push_back(etf::VERSION_MAGIC);
    out.push_back(first ? etf::DIST_FRAG_HEADER : etf::DIST_FRAG_CONT);
    append_be(out, sequence_id, 8);
    append_be(out, count - index, 8);
    if (first) out.push_back(0);  // NumberOfAtomCacheRefs
    out.insert(out.end(), data.begin() + static_cast<ptrdiff_t>(offset),
               data.begin() + static_cast<ptrdiff_t>(offset + chunk));
  }
  return {};
}

}  // namespace beamlink::dist
