// dist/control_message.h - the control messages of connected nodes
// (erl_dist_protocol, "Protocol between Connected Nodes"): operation codes
// named as in OTP, and which ones are followed by a payload term.
//
// A control message is a tuple whose first element is the operation code.
// Pure helpers, no state.
#pragma once

#include <cstdint>
#include <optional>

#include "beamlink/term.h"

namespace beamlink::dist {

inline constexpr int64_t LINK = 1;          // {1, FromPid, ToPid}
inline constexpr int64_t SEND = 2;          // {2, Unused, ToPid} + Message
inline constexpr int64_t EXIT = 3;          // {3, FromPid, ToPid, Reason}
inline constexpr int64_t UNLINK = 4;        // {4, FromPid, ToPid}
inline constexpr int64_t NODE_LINK = 5;     // {5}
inline constexpr int64_t REG_SEND = 6;      // {6, FromPid, Unused, ToName} + Message
inline constexpr int64_t GROUP_LEADER = 7;  // {7, FromPid, ToPid}
inline constexpr int64_t EXIT2 = 8;         // {8, FromPid, ToPid, Reason}
inline constexpr int64_t SEND_TT = 12;      // {12, Unused, ToPid, TraceToken} + Message
inline constexpr int64_t EXIT_TT = 13;      // {13, FromPid, ToPid, TraceToken, Reason}
inline constexpr int64_t REG_SEND_TT = 16;  // {16, FromPid, Unused, ToName, TraceToken} + Message
inline constexpr int64_t EXIT2_TT = 18;     // {18, FromPid, ToPid, TraceToken, Reason}
inline constexpr int64_t MONITOR_P = 19;    // {19, FromPid, ToProc, Ref}
inline constexpr int64_t DEMONITOR_P = 20;  // {20, FromPid, ToProc, Ref}
inline constexpr int64_t MONITOR_P_EXIT = 21;          // {21, FromProc, ToPid, Ref, Reason}
inline constexpr int64_t SEND_SENDER = 22;             // {22, FromPid, ToPid} + Message
inline constexpr int64_t SEND_SENDER_TT = 23;          // {23, FromPid, ToPid, TraceToken} + Message
inline constexpr int64_t PAYLOAD_EXIT = 24;            // {24, FromPid, ToPid} + Reason
inline constexpr int64_t PAYLOAD_EXIT_TT = 25;         // {25, FromPid, ToPid, TraceToken} + Reason
inline constexpr int64_t PAYLOAD_EXIT2 = 26;           // {26, FromPid, ToPid} + Reason
inline constexpr int64_t PAYLOAD_EXIT2_TT = 27;        // {27, FromPid, ToPid, TraceToken} + Reason
inline constexpr int64_t PAYLOAD_MONITOR_P_EXIT = 28;  // {28, FromProc, ToPid, Ref} + Reason
inline constexpr int64_t SPAWN_REQUEST =
    29;  // {29, ReqId, From, GroupLeader, MFA, OptList} + ArgList
inline constexpr int64_t SPAWN_REQUEST_TT = 30;  // {30, ..., OptList, Token} + ArgList
inline constexpr int64_t SPAWN_REPLY = 31;       // {31, ReqId, To, Flags, Result}
inline constexpr int64_t SPAWN_REPLY_TT = 32;    // {32, ReqId, To, Flags, Result, Token}
inline constexpr int64_t ALIAS_SEND = 33;        // {33, FromPid, Alias} + Message
inline constexpr int64_t ALIAS_SEND_TT = 34;     // {34, FromPid, Alias, Token} + Message
inline constexpr int64_t UNLINK_ID = 35;         // {35, Id, FromPid, ToPid}
inline constexpr int64_t UNLINK_ID_ACK = 36;     // {36, Id, FromPid, ToPid}

// True for the operations whose control tuple is followed by a second term
// (the message, the exit reason or the spawn arguments).
constexpr bool carries_payload(int64_t op) {
  switch (op) {
    case SEND:
    case REG_SEND:
    case SEND_TT:
    case REG_SEND_TT:
    case SEND_SENDER:
    case SEND_SENDER_TT:
    case PAYLOAD_EXIT:
    case PAYLOAD_EXIT_TT:
    case PAYLOAD_EXIT2:
    case PAYLOAD_EXIT2_TT:
    case PAYLOAD_MONITOR_P_EXIT:
    case SPAWN_REQUEST:
    case SPAWN_REQUEST_TT:
    case ALIAS_SEND:
    case ALIAS_SEND_TT:
      return true;
    default:
      return false;
  }
}

// The operation code of a control tuple, or nullopt when `control` is not a
// non-empty tuple starting with an integer.
std::optional<int64_t> control_op(const Term& control);

}  // namespace beamlink::dist
