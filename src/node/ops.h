// node/ops.h - the control-message operation codes the runtime uses, named
// as in erl_dist_protocol. A private copy until dist/control_message.h is
// committed; then this file only re-exports that one.
#pragma once

#include <cstdint>

namespace beamlink::node::op {

inline constexpr int64_t LINK = 1;
inline constexpr int64_t SEND = 2;
inline constexpr int64_t EXIT = 3;
inline constexpr int64_t UNLINK = 4;
inline constexpr int64_t REG_SEND = 6;
inline constexpr int64_t GROUP_LEADER = 7;
inline constexpr int64_t EXIT2 = 8;
inline constexpr int64_t SEND_TT = 12;
inline constexpr int64_t EXIT_TT = 13;
inline constexpr int64_t REG_SEND_TT = 16;
inline constexpr int64_t EXIT2_TT = 18;
inline constexpr int64_t MONITOR_P = 19;
inline constexpr int64_t DEMONITOR_P = 20;
inline constexpr int64_t MONITOR_P_EXIT = 21;
inline constexpr int64_t SEND_SENDER = 22;
inline constexpr int64_t SEND_SENDER_TT = 23;
inline constexpr int64_t PAYLOAD_EXIT = 24;
inline constexpr int64_t PAYLOAD_EXIT_TT = 25;
inline constexpr int64_t PAYLOAD_EXIT2 = 26;
inline constexpr int64_t PAYLOAD_EXIT2_TT = 27;
inline constexpr int64_t PAYLOAD_MONITOR_P_EXIT = 28;
inline constexpr int64_t SPAWN_REQUEST = 29;
inline constexpr int64_t SPAWN_REQUEST_TT = 30;
inline constexpr int64_t SPAWN_REPLY = 31;
inline constexpr int64_t SPAWN_REPLY_TT = 32;
inline constexpr int64_t ALIAS_SEND = 33;
inline constexpr int64_t ALIAS_SEND_TT = 34;
inline constexpr int64_t UNLINK_ID = 35;
inline constexpr int64_t UNLINK_ID_ACK = 36;

// SPAWN_REPLY flags.
inline constexpr int64_t kSpawnReplyLinked = 1;
inline constexpr int64_t kSpawnReplyMonitored = 2;

}  // namespace beamlink::node::op
