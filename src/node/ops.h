// node/ops.h - the control-message operation codes, as the runtime spells
// them (op::LINK, op::SEND, ...): dist/control_message.h's constants, plus
// the SPAWN_REPLY flag bits.
#pragma once

#include <cstdint>

#include "dist/control_message.h"

namespace beamlink::node::op {

using dist::ALIAS_SEND;
using dist::ALIAS_SEND_TT;
using dist::DEMONITOR_P;
using dist::EXIT;
using dist::EXIT2;
using dist::EXIT2_TT;
using dist::EXIT_TT;
using dist::GROUP_LEADER;
using dist::LINK;
using dist::MONITOR_P;
using dist::MONITOR_P_EXIT;
using dist::PAYLOAD_EXIT;
using dist::PAYLOAD_EXIT2;
using dist::PAYLOAD_EXIT2_TT;
using dist::PAYLOAD_EXIT_TT;
using dist::PAYLOAD_MONITOR_P_EXIT;
using dist::REG_SEND;
using dist::REG_SEND_TT;
using dist::SEND;
using dist::SEND_SENDER;
using dist::SEND_SENDER_TT;
using dist::SEND_TT;
using dist::SPAWN_REPLY;
using dist::SPAWN_REPLY_TT;
using dist::SPAWN_REQUEST;
using dist::SPAWN_REQUEST_TT;
using dist::UNLINK;
using dist::UNLINK_ID;
using dist::UNLINK_ID_ACK;

// SPAWN_REPLY flags (erl_dist_protocol).
inline constexpr int64_t kSpawnReplyLinked = 1;
inline constexpr int64_t kSpawnReplyMonitored = 2;

}  // namespace beamlink::node::op
