// node/global/resolve_it.h - global:resolve_it/4 on a beamlink node: runs
// the resolve method of a name clash for a pid of this node.
//
// Methods understood: global's default (the local fun global:
// random_exit_name/3, or fun global:random_exit_name/3), fun global:
// random_notify_name/3 and fun global:notify_all_name/3. A ResolvePolicy
// set from C++ replaces the default method. Another method cannot run here
// and answers {'EXIT', undef}, which global treats as "unregister".
#pragma once

#include "beamlink/term.h"
#include "node/global/shared_state.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::global {

// The pid that keeps the name, `none`, or another term.
Term resolve_it(Runtime& runtime, const ResolvePolicy& policy, const Term& method, const Term& name,
                const Pid& pid1, const Pid& pid2);

}  // namespace beamlink::node::global
