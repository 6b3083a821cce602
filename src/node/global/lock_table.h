// node/global/lock_table.h - global's lock table on one node: which
// requester holds each resource, and the processes (with the monitor that
// watches each) that hold it in its name.
//
// A lock id is {ResourceId, LockRequesterId}: a resource is free, or held
// under exactly one requester id by one or more pids. set_lock succeeds
// when the resource is free or held under the same requester id (as
// global.erl's can_set_lock). Pure data; the owner serialises access.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::node::global {

class LockTable {
 public:
  struct Holder {
    Pid pid;
    Reference monitor;
  };
  enum class SetOutcome { refused, already_held, needs_monitor };

  // Whether `pid` may take {resource, requester}; already_held when the
  // pid holds it already (no new monitor needed).
  SetOutcome check(const Term& resource, const Term& requester, const Pid& pid) const;
  bool can_set(const Term& resource, const Term& requester) const;
  // REQUIRES: check() said needs_monitor.
  void add(const Term& resource, const Term& requester, const Pid& pid, Reference monitor);
  // del_lock from `pid`: the monitor to drop, if it held the lock.
  std::optional<Reference> remove(const Term& resource, const Term& requester, const Pid& pid);
  // A holder's monitor fired: drops that holder; true if it was one.
  bool remove_monitor(const Reference& monitor);

  bool is_set(const Term& resource) const { return locks_.contains(resource); }
  bool holds(const Term& resource, const Pid& pid) const;
  std::optional<Term> requester(const Term& resource) const;
  size_t size() const { return locks_.size(); }

 private:
  struct Lock {
    Term requester;
    std::vector<Holder> holders;
  };
  std::map<Term, Lock> locks_;
};

}  // namespace beamlink::node::global
