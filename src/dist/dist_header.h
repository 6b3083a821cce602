// dist/dist_header.h - the framing of messages between connected nodes
// (erl_dist_protocol, "Protocol between Connected Nodes"; erl_ext_dist,
// "Distribution Header"), as pure codecs over the bodies of the 4-byte-length
// frames. (Empty frames are ticks; the connection handles them.)
//
// Receiving, DistReader accepts all four forms:
//   112, 131 Control [131 Payload]                 pass-through
//   131, 68, AtomCacheHeader, Control [Payload]    normal header
//   131, 69, SeqId:8, FragId:8, AtomCacheHeader, Data   first fragment
//   131, 70, SeqId:8, FragId:8, Data               later fragments
// Fragment ids count down to 1 (the last). Reassembly is bounded: a message
// over max_message_size, more than max_sequences unfinished messages, an
// unknown sequence or an out-of-order fragment is an error, after which the
// connection is closed (the reader keeps nothing of the bad sequence).
//
// Sending. DFLAG_DIST_HDR_ATOM_CACHE is never negotiated, so no atom cache
// entries are sent. To a peer without DFLAG_FRAGMENTS a message is one
// pass-through frame. A peer with DFLAG_FRAGMENTS (every OTP 22+ erl) gets a
// normal header with zero atom cache refs (131, 68, 0, Control, Payload):
// real erl rejects pass-through frames once FRAGMENTS is negotiated ("Got
// message from incompatible erlang"), as beamlink's interop test showed. A
// message whose terms exceed fragment_size goes as a 131,69 frame with zero
// atom cache refs followed by 131,70 frames, each carrying at most
// fragment_size bytes of the terms.
//
// Not thread safe: a DistReader belongs to one connection's reader. The
// encoder functions are pure and reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/result.h"
#include "beamlink/term.h"
#include "etf/atom_cache.h"

namespace beamlink::dist {

struct DistMessage {
  Term control;
  std::optional<Term> payload;
};

struct ReassemblyLimits {
  size_t max_message_size = 256u << 20;  // bytes of terms in one reassembled message
  size_t max_sequences = 64;             // unfinished fragmented messages at once
};

class DistReader {
 public:
  explicit DistReader(ReassemblyLimits limits = {}, etf::DecodeLimits decode = {});

  // One non-empty frame body. True when it completed a message, which is
  // then in `out` (overwritten; reusing one DistMessage saves moves); false
  // for a fragment that does not complete its message yet.
  Result<bool> read(std::span<const uint8_t> frame, DistMessage& out);

  size_t pending_sequences() const { return sequences_.size(); }

 private:
  struct Sequence {
    uint64_t next_fragment = 0;
    etf::AtomRefTable refs;
    std::vector<uint8_t> data;
  };

  Result<bool> read_fragment(std::span<const uint8_t> frame, bool first, DistMessage& out);
  Result<bool> decode_terms(std::span<const uint8_t> data, const etf::AtomRefTable* refs,
                            bool versioned, std::string_view what, DistMessage& out) const;

  ReassemblyLimits limits_;
  etf::DecodeLimits decode_limits_;
  etf::AtomCache cache_;
  std::unordered_map<uint64_t, Sequence> sequences_;
};

struct SendFormat {
  bool fragments = false;            // the peer announced DFLAG_FRAGMENTS
  size_t fragment_size = 64u << 10;  // REQUIRES: > 0
};

// Appends the complete frames (4-byte lengths included) for one message to
// `out`. `sequence_id` must be unique among this connection's unfinished
// fragmented messages (any per-connection counter will do). On failure `out`
// is left as it was. Errc::invalid_argument for a term ETF cannot carry.
Result<void> append_message(std::vector<uint8_t>& out, const Term& control, const Term* payload,
                            const SendFormat& format, uint64_t sequence_id);

// The 4 bytes of an empty frame: a tick.
inline constexpr uint8_t kTickFrame[4] = {0, 0, 0, 0};

}  // namespace beamlink::dist
