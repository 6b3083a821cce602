// node/global/multi_call.h - gen_server:multi_call(Nodes,
// global_name_server, Request) from one process: the same pid makes every
// call, which global needs (set_lock, register and del_lock must come from
// the process that holds the lock).
//
// Blocks the calling thread until every node answered, its server went
// down (DOWN: the node is left out, as multi_call's bad nodes are) or the
// timeout passed. REQUIRES: not called on a node worker thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "beamlink/process.h"
#include "beamlink/term.h"

namespace beamlink::node::global {

struct MultiCallResult {
  std::map<std::string, Term> replies;
  std::vector<std::string> bad_nodes;  // down, or no answer in time
  bool timed_out = false;
};

MultiCallResult multi_call(Process& self, const std::vector<std::string>& nodes,
                           const Term& request, std::chrono::milliseconds timeout);

}  // namespace beamlink::node::global
