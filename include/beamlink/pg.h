// beamlink/pg.h - process groups: OTP's `pg` (OTP 23+) for beamlink
// nodes, interoperable with the pg scopes of Erlang and Elixir nodes.
//
// A scope is a registered process (`pg` for the default scope) that keeps
// the membership of every group of that scope across the cluster. Scopes
// of the same name on different nodes find each other and exchange their
// local members exactly as OTP 25's pg.erl does: {discover, Pid} to
// {Scope, Node} on start and on every nodeup of a visible node, a
// {'$gen_cast', {sync, Pid, [{Group, Pids}]}} answer, and {join, ...} /
// {leave, ...} messages for every later change. So `:pg.get_members/2` on
// an Elixir node lists the C++ pids that joined here, and get_members()
// here lists the Erlang pids that joined there.
//
// Contract:
//  * Node::pg() is the default scope `pg`, started with the node;
//    Node::pg(name) starts scope `name` on first use (and discovers it on
//    every connected node) and returns the same object afterwards.
//  * join/leave take pids of this node only (Errc::invalid_argument
//    otherwise) and return once the local view has changed; the peers learn
//    of it asynchronously. A pid may join a group more than once and is then
//    listed as often. leave() of a pid that is not in the group is
//    Errc::not_found (pg's not_joined).
//  * A local member that exits leaves all its groups (the scope monitors
//    it) and the peers are told. A remote scope that goes away (its process
//    dies or its node disconnects) takes all its members with it at once.
//  * get_members lists the newest joins first, as pg does; nothing is
//    guaranteed about the order beyond that.
//  * monitor / monitor_scope are pg:monitor/2 and pg:monitor_scope/1 of
//    OTP 25.1: they return the current members and then deliver every later
//    change of the group (or of the whole scope), either as the message
//    {Ref, join | leave, Group, [Pid]} to a local pid (the subscription ends
//    when that pid exits), or to a callback. Callbacks run one at a time per
//    subscription on a node worker thread, in the order of the changes; they
//    may call back into this object. An exception from a callback is caught
//    and logged; the subscription stays.
//  * Thread safety: every member may be called from any thread. After the
//    node stops, every call fails with Errc::closed or returns nothing.
//  * Ownership: the Node owns its scopes; references stay valid as long as
//    the Node object lives.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink {

struct GroupEvent {
  enum class Kind { join, leave };
  Kind kind = Kind::join;
  Term group;
  std::vector<Pid> pids;
};

using GroupEventHandler = std::function<void(const GroupEvent& event)>;

// What monitor() returns: the id for demonitor() and the members now.
struct GroupSubscription {
  Reference ref;
  std::vector<Pid> members;
};

// What monitor_scope() returns: the id and every group with its members.
struct ScopeSubscription {
  Reference ref;
  std::vector<std::pair<Term, std::vector<Pid>>> groups;
};

class ProcessGroups {
 public:
  virtual ~ProcessGroups() = default;

  // The scope's name (its registered name on every node).
  virtual const std::string& scope() const = 0;

  virtual Result<void> join(const Term& group, const Pid& pid) = 0;
  virtual Result<void> join(const Term& group, const std::vector<Pid>& pids) = 0;
  virtual Result<void> leave(const Term& group, const Pid& pid) = 0;
  virtual Result<void> leave(const Term& group, const std::vector<Pid>& pids) = 0;

  // Members on every node of the cluster that runs this scope.
  virtual std::vector<Pid> get_members(const Term& group) const = 0;
  virtual std::vector<Pid> get_local_members(const Term& group) const = 0;
  virtual std::vector<Term> which_groups() const = 0;
  virtual std::vector<Term> which_local_groups() const = 0;

  // Changes of one group: messages to local pid `subscriber`, or calls of
  // `handler` (see the contract above).
  virtual Result<GroupSubscription> monitor(const Term& group, const Pid& subscriber) = 0;
  virtual Result<GroupSubscription> monitor(const Term& group, GroupEventHandler handler) = 0;
  // Changes of every group of the scope.
  virtual Result<ScopeSubscription> monitor_scope(const Pid& subscriber) = 0;
  virtual Result<ScopeSubscription> monitor_scope(GroupEventHandler handler) = 0;
  // Ends a subscription; false if `ref` is not one. No change is sent after
  // this returns (messages already in the subscriber's mailbox stay; a
  // callback already running finishes).
  virtual bool demonitor(const Reference& ref) = 0;
};

}  // namespace beamlink
