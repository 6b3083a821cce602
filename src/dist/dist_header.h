// dist/dist_header.h - the framing of messages between connected nodes
// (erl_dist_protocol, "Protocol between Connected Nodes"; erl_ext_dist,
// "Distribution Header"), as pure codecs over the bodies of the 4-byte-length
// frames. (Empty frames are ticks; the connection handles them.)
//
// Receiving (DistReader, with bounded reassembly) is in dist_reader.h.
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
// The encoder functions are pure and reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/result.h"
#include "beamlink/term.h"
#include "dist/dist_reader.h"

namespace beamlink::dist {

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
// The same, with the control message already encoded (ETF without the 131
// prefix; see control_prefix.h): its bytes are copied, not re-encoded.
Result<void> append_message(std::vector<uint8_t>& out, std::span<const uint8_t> control,
                            const Term* payload, const SendFormat& format, uint64_t sequence_id);

// The 4 bytes of an empty frame: a tick.
inline constexpr uint8_t kTickFrame[4] = {0, 0, 0, 0};

}  // namespace beamlink::dist
