// Receiving distribution headers and fragments; see dist_reader.h.
#include "dist/dist_reader.h"

#include <algorithm>
#include <string>

#include "dist/control_message.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

// What a sequence costs besides its data (map node, vectors, atom refs),
// charged to the budget so that many tiny sequences are bounded too.
constexpr size_t kSequenceOverhead = 256;

std::unexpected<Error> framing_error(Errc code, std::string_view what, std::string detail) {
  return fail(code, std::string(what) + ": " + detail);
}

// Prefixes an error from a lower layer with where it happened.
std::unexpected<Error> within(std::string_view what, std::string_view part, const Error& inner) {
  return fail(inner.code, std::string(what) + ": " + std::string(part) + ": " + inner.message);
}

std::string_view form_name(bool first) {
  return first ? "DIST_FRAG_HEADER" : "DIST_FRAG_CONT";
}

std::string sequence_text(uint64_t id) {
  return "sequence " + std::to_string(id);
}

}  // namespace

DistReader::DistReader(ReassemblyLimits limits, std::shared_ptr<ReceiveBudget> budget,
                       DiscardHook on_discard, etf::DecodeLimits decode)
    : limits_(limits),
      budget_(budget ? std::move(budget) : std::make_shared<ReceiveBudget>()),
      on_discard_(std::move(on_discard)),
      decode_limits_(decode) {
  decode_limits_.max_size = limits_.max_message_size;
}

std::string DistReader::over_size(size_t bytes) const {
  return std::to_string(bytes) + " bytes, over max_message_size (" +
         std::to_string(limits_.max_message_size) + ")";
}

size_t DistReader::head_size(std::span<const uint8_t> available, size_t length) {
  size_t needed = 2;
  if (!available.empty() && available[0] != etf::VERSION_MAGIC) {
    needed = 1;
  } else if (available.size() >= 2 &&
             (available[1] == etf::DIST_FRAG_HEADER || available[1] == etf::DIST_FRAG_CONT)) {
    needed = kHeadSize;
  }
  return std::min(needed, length);
}

Result<DistReader::Head> DistReader::parse_head(std::span<const uint8_t> head) const {
  if (head.empty()) {
    return framing_error(Errc::malformed, "dist frame", "empty (ticks are not messages)");
  }
  if (head[0] == etf::PASS_THROUGH) return Head{};
  if (head[0] != etf::VERSION_MAGIC) {
    return framing_error(Errc::malformed, "dist frame",
                         "byte 0 is " + std::to_string(head[0]) + ", expected 112 or 131");
  }
  if (head.size() < 2) return framing_error(Errc::malformed, "dist frame", "truncated after 131");
  const bool first = head[1] == etf::DIST_FRAG_HEADER;
  if (head[1] == etf::DIST_HEADER) return Head{};
  if (!first && head[1] != etf::DIST_FRAG_CONT) {
    return framing_error(Errc::malformed, "dist frame",
                         "131 followed by " + std::to_string(head[1]) + ", expected 68, 69 or 70");
  }
  WireReader reader(head, form_name(first));
  (void)reader.bytes(2, "tag");
  auto sequence = reader.integer(8, "sequence id");
  if (!sequence) return std::unexpected(sequence.error());
  auto fragment = reader.integer(8, "fragment id");
  if (!fragment) return std::unexpected(fragment.error());
  if (*fragment == 0) {
    return framing_error(Errc::malformed, form_name(first),
                         sequence_text(*sequence) + ": fragment id 0");
  }
  return Head{first ? Form::first_fragment : Form::later_fragment, *sequence, *fragment};
}

Result<bool> DistReader::admit(std::span<const uint8_t> head, size_t length) {
  auto parsed = parse_head(head);
  if (!parsed) return std::unexpected(parsed.error());
  return admit_head(*parsed, length);
}

Result<bool> DistReader::admit_head(const Head& head, size_t length) {
  if (head.form == Form::whole) {
    if (length <= limits_.max_message_size) return true;
    discard(0, "message of " + over_size(length));
    return false;
  }
  const bool first = head.form == Form::first_fragment;
  const std::string_view what = form_name(first);
  const std::string seq_text = sequence_text(head.sequence);
  const size_t data = length - std::min(length, kHeadSize);

  if (auto skipping = discarding_.find(head.sequence); skipping != discarding_.end()) {
    if (first) {
      discarding_.erase(skipping);  // a new message reuses the id
    } else if (head.fragment != skipping->second) {
      const uint64_t expected = skipping->second;
      discarding_.erase(skipping);
      return framing_error(Errc::malformed, what,
                           seq_text + ": fragment " + std::to_string(head.fragment) +
                               ", expected " + std::to_string(expected));
    } else {
      if (head.fragment == 1) {
        discarding_.erase(skipping);
      } else {
        --skipping->second;
      }
      return false;
    }
  }

  if (first) {
    if (auto open = sequences_.find(head.sequence); open != sequences_.end()) {
      sequences_.erase(open);
      return framing_error(Errc::malformed, what, seq_text + " is already open");
    }
    std::string reason;
    if (data > limits_.max_message_size) {
      reason = seq_text + ": first fragment of " + over_size(data);
    } else if (head.fragment > 1 && sequences_.size() >= limits_.max_sequences) {
      reason = seq_text + ": over " + std::to_string(limits_.max_sequences) +
               " unfinished fragmented messages";
    }
    if (reason.empty()) return true;
    auto ended =
        discard_sequence(head.sequence, head.fragment, 0, std::string(what) + ": " + reason);
    if (!ended) return std::unexpected(ended.error());
    return false;
  }

  auto found = sequences_.find(head.sequence);
  if (found == sequences_.end()) {
    return framing_error(Errc::malformed, what, seq_text + " was never started");
  }
  Sequence& sequence = found->second;
  if (head.fragment != sequence.next_fragment) {
    const uint64_t expected = sequence.next_fragment;
    sequences_.erase(found);
    return framing_error(Errc::malformed, what,
                         seq_text + ": fragment " + std::to_string(head.fragment) + ", expected " +
                             std::to_string(expected));
  }
  if (data > limits_.max_message_size - sequence.data.size()) {
    auto ended = discard_sequence(head.sequence, head.fragment, 0,
                                  std::string(what) + ": " + seq_text + ": " +
                                      std::to_string(sequence.data.size() + data) +
                                      " bytes so far, over max_message_size (" +
                                      std::to_string(limits_.max_message_size) + ")");
    if (!ended) return std::unexpected(ended.error());
    return false;
  }
  return true;
}

void DistReader::discard(size_t arrived, const std::string& reason) {
  ++discarded_;
  budget_->count_discard(arrived);
  if (on_discard_) on_discard_(reason);
}

Result<void> DistReader::discard_sequence(uint64_t id, uint64_t fragment, size_t arrived,
                                          const std::string& reason) {
  if (auto open = sequences_.find(id); open != sequences_.end()) {
    arrived += open->second.data.size();
    sequences_.erase(open);
  }
  discard(arrived, reason);
  if (fragment <= 1) return {};  // that was its last fragment
  if (discarding_.size() >= limits_.max_sequences) {
    return fail(Errc::limit_exceeded, "over " + std::to_string(limits_.max_sequences) +
                                          " discarded fragmented messages unfinished (" + reason +
                                          ")");
  }
  discarding_[id] = fragment - 1;
  return {};
}

Result<void> DistReader::abandon(std::span<const uint8_t> head, size_t length, size_t arrived,
                                 const std::string& why) {
  auto parsed = parse_head(head);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->form == Form::whole) {
    discard(arrived, "message of " + std::to_string(length) + " bytes: " + why);
    return {};
  }
  const std::string what(form_name(parsed->form == Form::first_fragment));
  return discard_sequence(parsed->sequence, parsed->fragment, arrived,
                          what + ": " + sequence_text(parsed->sequence) + ": " + why);
}

Result<bool> DistReader::read(std::span<const uint8_t> frame, DistMessage& out) {
  auto head = parse_head(frame.first(std::min(frame.size(), kHeadSize)));
  if (!head) return std::unexpected(head.error());
  auto admitted = admit_head(*head, frame.size());
  if (!admitted) return std::unexpected(admitted.error());
  if (!*admitted) return false;
  if (head->form != Form::whole) return read_fragment(frame, *head, out);
  if (frame[0] == etf::PASS_THROUGH) {
    return decode_terms(frame.subspan(1), nullptr, true, "pass-through", out);
  }
  auto header = cache_.read(frame.subspan(2));
  if (!header) return within("DIST_HEADER", "atom cache", header.error());
  frame_refs_ = std::move(header->refs);  // a typed header may view its atoms
  return decode_terms(frame.subspan(2 + header->consumed), &frame_refs_, false, "DIST_HEADER", out);
}

Result<bool> DistReader::read_fragment(std::span<const uint8_t> frame, const Head& head,
                                       DistMessage& out) {
  const bool first = head.form == Form::first_fragment;
  const std::string_view what = form_name(first);
  const auto rest = frame.subspan(kHeadSize);  // parse_head read the ids
  const std::string seq_text = sequence_text(head.sequence);
  const std::string budget_text =
      "the node's reassembly budget (" + std::to_string(budget_->limit()) + " bytes) is used up";

  if (first) {
    auto header = cache_.read(rest);
    if (!header) return within(what, "atom cache", header.error());
    auto data = rest.subspan(header->consumed);
    if (head.fragment == 1) {
      frame_refs_ = std::move(header->refs);
      return decode_terms(data, &frame_refs_, false, what, out);
    }
    Sequence sequence;
    sequence.lease = BudgetLease(budget_);
    if (!sequence.lease.resize(kSequenceOverhead + data.size())) {
      auto ended = discard_sequence(head.sequence, head.fragment, data.size(),
                                    std::string(what) + ": " + seq_text + ": " + budget_text);
      if (!ended) return std::unexpected(ended.error());
      return false;
    }
    sequence.next_fragment = head.fragment - 1;
    sequence.refs = std::move(header->refs);
    sequence.data.assign(data.begin(), data.end());
    sequences_.emplace(head.sequence, std::move(sequence));
    return false;
  }

  // admit_head found the sequence open and this fragment next.
  auto found = sequences_.find(head.sequence);
  Sequence& sequence = found->second;
  auto data = rest;
  if (!sequence.lease.resize(kSequenceOverhead + sequence.data.size() + data.size())) {
    auto ended = discard_sequence(head.sequence, head.fragment, data.size(),
                                  std::string(what) + ": " + seq_text + ": " + budget_text);
    if (!ended) return std::unexpected(ended.error());
    return false;
  }
  sequence.data.insert(sequence.data.end(), data.begin(), data.end());
  if (head.fragment > 1) {
    --sequence.next_fragment;
    return false;
  }
  Sequence complete = std::move(sequence);
  sequences_.erase(found);
  auto decoded = decode_terms(complete.data, &complete.refs, false, what, out);
  if (decoded && *decoded && out.typed) {
    // The header views the reassembled bytes, freed here: keep a copy of
    // just the control message, and parse that again (small next to the
    // data that made the message worth fragmenting).
    completed_refs_ = std::move(complete.refs);
    completed_control_.assign(
        complete.data.begin(),
        complete.data.begin() + static_cast<std::ptrdiff_t>(out.header.consumed));
    etf::DecodeOptions options;
    options.limits = decode_limits_;
    options.atom_refs = &completed_refs_;
    auto again = parse_control(completed_control_, options, out.header);
    if (!again || !*again) return framing_error(Errc::malformed, what, "control message changed");
  }
  return decoded;
}

Result<bool> DistReader::decode_terms(std::span<const uint8_t> data, const etf::AtomRefTable* refs,
                                      bool versioned, std::string_view what, DistMessage& out) {
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
  // A term over a decode limit is discarded like an oversized message: the
  // frame boundaries are intact, so the connection can go on.
  auto failed = [&](const Error& error) -> Result<bool> {
    if (error.code != Errc::limit_exceeded) return std::unexpected(error);
    discard(data.size(), error.message);
    return false;
  };

  // The data path's control messages are parsed into a typed header; any
  // other (or one the header does not take, or a malformed one, which the
  // Term decoder then reports) is decoded as a Term.
  out.typed = false;
  const size_t start = versioned ? 1 : 0;
  if (!versioned ||
      (data.size() > 1 && data[0] == etf::VERSION_MAGIC && data[1] != etf::COMPRESSED)) {
    auto parsed = parse_control(data.subspan(start), options, out.header);
    if (!parsed && parsed.error().code == Errc::limit_exceeded) return failed(parsed.error());
    if (parsed && *parsed) {
      out.typed = true;
      offset = start + out.header.consumed;
    }
  }
  std::optional<int64_t> op;
  if (out.typed) {
    op = out.header.op;
  } else {
    if (auto control = next("control message", out.control); !control) {
      return failed(control.error());
    }
    op = control_op(out.control);
  }
  if (!op) {
    return framing_error(Errc::malformed, what, "control message is not a tuple with an op code");
  }
  if (offset < data.size()) {
    if (!out.payload) out.payload.emplace();
    if (auto payload = next("payload", *out.payload); !payload) return failed(payload.error());
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

}  // namespace beamlink::dist
