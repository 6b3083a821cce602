// dist/dist_reader.h - the receiving half of the distribution header
// (erl_ext_dist, "Distribution Header"): frame bodies in, messages out, with
// fragment reassembly bounded in size, count and node-wide memory.
//
// DistReader accepts all four forms of a (non-empty) frame body:
//   112, 131 Control [131 Payload]                 pass-through
//   131, 68, AtomCacheHeader, Control [Payload]    normal header
//   131, 69, SeqId:8, FragId:8, AtomCacheHeader, Data   first fragment
//   131, 70, SeqId:8, FragId:8, Data               later fragments
// Fragment ids count down to 1 (the last).
//
// Discarding. A message is DISCARDED, not an error, when it is over
// max_message_size (an unfragmented message's frame body, or a fragmented
// message's fragment data so far), when its first fragment would open more
// than max_sequences unfinished messages, when the node's ReceiveBudget
// refuses the bytes to reassemble it, or when decoding it hits a
// DecodeLimits bound (ETF limit_exceeded, e.g. a compressed term inflating
// over max_message_size). The reader keeps nothing of it, remembers the
// sequence id so that its remaining fragments are skipped unread, calls
// `on_discard` once for the message (not per fragment) and counts it; the
// connection stays up and later messages are read as usual.
//
// Errors (the caller closes the connection): a malformed frame or term, a
// fragment of a sequence never started, fragments out of order, a first
// fragment reusing an open sequence id, and more than max_sequences
// discarded messages whose remaining fragments are still to come.
//
// Reading a stream: FrameStream calls admit() as soon as a frame's first
// kHeadSize bytes are in, before the rest arrives, so a frame whose
// message is already discarded is skipped without being buffered, and
// read() once the whole frame is in. read() alone (as the tests use it)
// applies the same rules.
//
// Not thread safe: a DistReader belongs to one connection's reader. The
// ReceiveBudget it shares is thread safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/result.h"
#include "beamlink/term.h"
#include "dist/control_header.h"
#include "dist/receive_budget.h"
#include "etf/atom_cache.h"

namespace beamlink::dist {

// One message. Its control message is parsed into `header` when it is one
// parse_control carries (typed; the header's views point into the frame
// and the reader's state, valid until the next read), else decoded into
// `control`. The reason of an EXIT-like message is in header.reason, not
// in payload (PAYLOAD_EXIT and its kin carry theirs in payload).
struct DistMessage {
  bool typed = false;
  ControlHeader header;  // when typed
  Term control;          // when not typed
  std::optional<Term> payload;

  // The control tuple, built from the header when typed (for tests and
  // sinks that want a Term).
  Term control_term() const { return typed ? header.to_term() : control; }
};

inline constexpr size_t kDefaultMaxMessageSize = size_t{1} << 30;

struct ReassemblyLimits {
  size_t max_message_size = kDefaultMaxMessageSize;
  size_t max_sequences = 1024;  // unfinished fragmented messages per connection
};

class DistReader {
 public:
  // `reason` says which message and why, e.g. "DIST_FRAG_CONT: sequence 3:
  // 300000000 bytes so far, over max_message_size (268435456)".
  using DiscardHook = std::function<void(const std::string& reason)>;

  // The most bytes of a frame body admit() looks at: up to the fragment id.
  static constexpr size_t kHeadSize = 18;
  // How many of a frame body's first bytes admit() needs, given the
  // `available` ones: 1 or 2 for whole forms (and for bytes it will
  // refuse), kHeadSize for fragments; never more than `length`.
  static size_t head_size(std::span<const uint8_t> available, size_t length);

  // `budget` null: an unbounded one of the reader's own. Decoding is
  // bounded by `decode`, whose max_size becomes limits.max_message_size.
  explicit DistReader(ReassemblyLimits limits = {}, std::shared_ptr<ReceiveBudget> budget = nullptr,
                      DiscardHook on_discard = {}, etf::DecodeLimits decode = {});

  // Before a frame is buffered: `head` is its first head_size() bytes (or
  // more), `length` its declared body length (> 0). True: buffer the frame
  // and read() it; false: skip its bytes unread.
  Result<bool> admit(std::span<const uint8_t> head, size_t length);
  // A frame admit() kept cannot be buffered after all (`why`: the budget
  // refused its bytes); `arrived` of its bytes were read. Its message is
  // discarded.
  Result<void> abandon(std::span<const uint8_t> head, size_t length, size_t arrived,
                       const std::string& why);
  // Skipped bytes of discarded frames, for the node's discarded_bytes.
  void count_skipped(size_t bytes) { budget_->count_skipped(bytes); }

  // One whole non-empty frame body. True when it completed a message,
  // which is then in `out` (overwritten; reusing one DistMessage saves
  // moves); false for a fragment that does not complete its message yet or
  // a frame whose message was discarded.
  Result<bool> read(std::span<const uint8_t> frame, DistMessage& out);

  size_t pending_sequences() const { return sequences_.size(); }
  size_t discarding_sequences() const { return discarding_.size(); }
  uint64_t discarded() const { return discarded_; }
  size_t max_message_size() const { return limits_.max_message_size; }

 private:
  struct Sequence {
    uint64_t next_fragment = 0;
    etf::AtomRefTable refs;
    std::vector<uint8_t> data;
    BudgetLease lease;
  };
  // Of the last fragmented message completed, what its typed header views
  // until the next read: its control message's bytes and its atoms.
  std::vector<uint8_t> completed_control_;
  etf::AtomRefTable frame_refs_;  // the atoms of the last whole frame's header
  etf::AtomRefTable completed_refs_;
  enum class Form { whole, first_fragment, later_fragment };
  struct Head {
    Form form = Form::whole;
    uint64_t sequence = 0;
    uint64_t fragment = 0;
  };

  Result<Head> parse_head(std::span<const uint8_t> head) const;
  Result<bool> admit_head(const Head& head, size_t length);
  // Ends sequence `id` (open or not yet opened) whose frame `fragment` is
  // being discarded: its later fragments will be skipped.
  Result<void> discard_sequence(uint64_t id, uint64_t fragment, size_t arrived,
                                const std::string& reason);
  void discard(size_t arrived, const std::string& reason);
  Result<bool> read_fragment(std::span<const uint8_t> frame, const Head& head, DistMessage& out);
  Result<bool> decode_terms(std::span<const uint8_t> data, const etf::AtomRefTable* refs,
                            bool versioned, std::string_view what, DistMessage& out);
  std::string over_size(size_t bytes) const;

  ReassemblyLimits limits_;
  std::shared_ptr<ReceiveBudget> budget_;
  DiscardHook on_discard_;
  etf::DecodeLimits decode_limits_;
  etf::AtomCache cache_;
  std::unordered_map<uint64_t, Sequence> sequences_;
  // Discarded messages whose later fragments are still to come, by
  // sequence id: their frames are skipped.
  std::unordered_map<uint64_t, uint64_t> discarding_;  // id -> next fragment
  uint64_t discarded_ = 0;
};

}  // namespace beamlink::dist
