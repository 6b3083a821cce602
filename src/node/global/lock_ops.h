// node/global/lock_ops.h - taking and dropping global locks on many nodes
// from one process, as global:set_lock/del_lock/trans and global's
// registrar do: gen_server multi_calls {set_lock, Id} / {del_lock, Id} to
// each node's global_name_server, undoing partial success, with global's
// random back-off between tries (1/4 s doubling up to 8 s).
//
// REQUIRES: called on a thread of its own (user or locker thread), never a
// node worker: every call blocks on the network.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "beamlink/process.h"
#include "beamlink/term.h"
#include "node/global/shared_state.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::global {

inline constexpr std::chrono::milliseconds kCallTimeout{std::chrono::seconds(15)};

struct LockContext {
  Process& self;
  SharedState& shared;
  std::string our_node;
  const std::atomic<bool>* stopping = nullptr;  // ends retries early when set
  // Whether a node is this one or connected now. Lock calls skip the others
  // (they are multi_call's bad nodes): a lock step never sets up a
  // connection, so a node that went down stays down. Empty: all reachable.
  std::function<bool(const std::string&)> reachable;
};

// One try on every node: true when all that answered said true.
bool set_lock_on_nodes(LockContext& ctx, const Term& lock_id,
                       const std::vector<std::string>& nodes);
void del_lock(LockContext& ctx, const Term& lock_id, const std::vector<std::string>& nodes);
// The boss (the greatest node) last, as global does.
void delete_global_lock(LockContext& ctx, const Term& lock_id, std::vector<std::string> nodes);
// global:set_lock/3: retries nullopt is infinity.
bool set_lock(LockContext& ctx, const Term& lock_id, const std::vector<std::string>& nodes,
              std::optional<unsigned> retries);
// The registrar's lock {global, self} on us and every known node, taken
// so that no node became known meanwhile. The nodes locked.
std::optional<std::vector<std::string>> set_lock_known(LockContext& ctx, const Term& lock_id,
                                                       unsigned max_tries);
// LockContext::reachable for a runtime: this node or a connected one.
std::function<bool(const std::string&)> reachable_from(const std::shared_ptr<Runtime>& runtime);
// global's random_sleep(Times) bound in ms.
unsigned backoff_bound_ms(unsigned times);

}  // namespace beamlink::node::global
