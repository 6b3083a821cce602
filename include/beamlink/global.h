// beamlink/global.h - Erlang's `global` name registry and locks, with a
// beamlink node as a full participant (OTP 25 global, protocol version 8).
//
// Contract:
//  * A visible Node runs a `global_name_server` and a locker from start:
//    Erlang nodes' global:sync() returns with beamlink nodes in the
//    cluster, names registered on any node (Erlang or beamlink) resolve
//    everywhere, and locks exclude each other across kinds. A hidden Node
//    stays out of global, as a hidden erl node does: enabled() is false,
//    register_name/unregister_name/set_lock/trans fail with
//    Errc::unsupported, and lookups see an empty table.
//  * Names are any term (an atom for most uses). register_name takes the
//    lock {global, Holder} on this node and every node global knows, then
//    registers on each of them, as global:register_name does; it fails with
//    Errc::refused when the name is taken or the pid already has a name.
//    The name goes away everywhere when the process exits or its node goes
//    down.
//  * Name conflicts when two partitions meet are resolved as global
//    resolves them: the default (random_exit_name) keeps the pid on the
//    node whose name sorts first and kills the other (exit reason
//    `killed`). set_resolve_policy replaces that default for clashes whose
//    resolution runs on this node (global runs it on the node of the
//    smaller-named side's pid): return the pid to keep, or nullopt to
//    unregister the name everywhere. The policy runs on a node thread and
//    must not block; an exception counts as nullopt.
//  * Locks: an id is {ResourceId, LockRequesterId} as in global:set_lock/3.
//    set_lock/del_lock are made by `holder`, a process the caller owns: it
//    holds the lock until del_lock or until it exits (every node monitors
//    it), and its mailbox receives the replies meanwhile (do not receive on
//    it from another thread during the call). `nodes` empty means this
//    node and every connected visible node. retries nullopt is infinity,
//    with global's random back-off (1/4 s doubling to 8 s).
//  * Blocking: register_name, unregister_name, set_lock, del_lock and trans
//    wait for other nodes; never call them from a handler process (they
//    would hold a node worker). Lookups are local and never block.
//  * Thread safety: every member may be called from any thread at once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "beamlink/process.h"
#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink {

class Global {
 public:
  using ResolvePolicy =
      std::function<std::optional<Pid>(const Term& name, const Pid& pid1, const Pid& pid2)>;

  virtual ~Global() = default;

  virtual bool enabled() const = 0;

  // ---- Names ----
  virtual Result<void> register_name(const Term& name, const Pid& pid) = 0;
  // Ok also when the name was not registered.
  virtual Result<void> unregister_name(const Term& name) = 0;
  virtual std::optional<Pid> whereis_name(const Term& name) const = 0;
  // Name ! Message; false (nothing sent) when the name is not registered.
  virtual bool send(const Term& name, Term message) = 0;
  virtual std::vector<Term> registered_names() const = 0;
  virtual void set_resolve_policy(ResolvePolicy policy) = 0;

  // ---- Locks ----
  virtual bool set_lock(Process& holder, const Term& id, std::vector<std::string> nodes = {},
                        std::optional<unsigned> retries = std::nullopt) = 0;
  virtual void del_lock(Process& holder, const Term& id, std::vector<std::string> nodes = {}) = 0;
  // Runs fn while holding {resource, Holder} (Holder: a temporary process
  // of this node); Errc::timeout when the lock could not be taken in
  // `retries` tries. The lock is released also when fn throws (the
  // exception is then rethrown).
  virtual Result<void> trans(const Term& resource, const std::function<void()>& fn,
                             std::vector<std::string> nodes = {},
                             std::optional<unsigned> retries = std::nullopt) = 0;
};

}  // namespace beamlink
