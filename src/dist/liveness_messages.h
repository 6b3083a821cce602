// dist/liveness_messages.h - the messages beamlink nodes exchange about
// liveness, which erl never acts on.
//
// Each is an ordinary REG_SEND from the node's reserved probe pid
// (kProbePidId) to the registered name '$beamlink_liveness', which no
// process ever registers: erl drops a message to an unregistered name
// without a word, so a hello sent to an erl peer is harmless, and the
// others are only ever sent to peers that said hello. A beamlink
// connection consumes them before delivery. Payloads:
//   {hello, Version}            "I am beamlink and take part" (sent on
//                               connection up, by nodes that probe)
//   {watch, true | false}       "I watch you closely: tick me every
//                               liveness_probe" / "no longer"
//   ping                        "answer at once" (the answer is a tick)
//   {doubt, Node, SilentMs}     "Node missed a tick: I probe it" (no verdict)
//   {suspect, Node, SilentMs}   "my detector dropped Node, silent SilentMs"
//
// Pure: terms in, terms out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "beamlink/term.h"

namespace beamlink::dist {

inline constexpr std::string_view kLivenessName = "$beamlink_liveness";
inline constexpr int64_t kLivenessVersion = 1;

struct LivenessMessage {
  enum class Kind { hello, watch, unwatch, ping, doubt, suspect };
  Kind kind = Kind::hello;
  std::string node;                    // doubt, suspect: the node
  int64_t silent_ms = 0;               // doubt, suspect: for how long it had been silent
  int64_t version = kLivenessVersion;  // hello
};

// The control message and payload of `message` from `local_node`'s probe pid.
struct EncodedLiveness {
  Term control;
  Term payload;
};
EncodedLiveness encode_liveness(const LivenessMessage& message, const std::string& local_node,
                                uint32_t local_creation);

// Whether `control` is addressed to kLivenessName (so never for a process).
bool is_liveness_message(const Term& control);
// The message, if `control` is one and `payload` is well formed.
std::optional<LivenessMessage> decode_liveness(const Term& control, const Term* payload);

}  // namespace beamlink::dist
