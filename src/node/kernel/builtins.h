// node/kernel/builtins.h - the erlang: functions a peer may call on a
// beamlink node through rpc/erpc, answered from the runtime's own state
// (the BIFs an operator reaches for: node/nodes/whereis, processes,
// registered, process_info, memory, system_info, statistics, time).
//
// Contract: each returns nullopt when `function`/arity is not one of its
// built-ins (the caller then tries registered functions, then undef), a
// value, or CallResult::error(badarg) for arguments Erlang's own BIF would
// reject (the caller adds the {erlang, F, Args, []} stack). They never
// throw on bad input, and read the runtime only through its public,
// thread-safe members, so they may run on any worker.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "beamlink/rpc.h"
#include "beamlink/term.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::kernel {

// node/0, nodes/0,1, whereis/1, is_alive/0, registered/0, processes/0,
// process_info/1,2 (process_builtins.cc).
std::optional<CallResult> process_builtin(Runtime& runtime, std::string_view function,
                                          const std::vector<Term>& args);

// memory/0,1, system_info/1, statistics/1, system_time/0,1,
// monotonic_time/0,1 (system_builtins.cc).
std::optional<CallResult> system_builtin(Runtime& runtime, std::string_view function,
                                         const std::vector<Term>& args);

}  // namespace beamlink::node::kernel
