// node/pg/scope_state.h - the state of one pg scope and the protocol of
// OTP 25's pg.erl, as a pure state machine: messages and API calls in,
// sends and monitors out through ScopeIo. No threads, no sockets, so the
// unit tests drive it with a recording ScopeIo.
//
// What it keeps (pg.erl's #state and ETS table):
//  * groups: Group -> {all members, local members}, newest first;
//  * local: local member pid -> {its monitor, the groups it joined};
//  * remote: peer scope pid -> {its monitor, Group -> its members};
//  * subscriptions of monitor/monitor_scope, keyed by the monitor of the
//    subscriber.
//
// Messages understood (anything else is refused, returning false):
//  {discover, Peer}, {'$gen_cast', {sync, Peer, [{Group, [Pid]}]}},
//  {join, Peer, Group, Pid | [Pid]}, {leave, Peer, Pid | [Pid], [Group]},
//  {'DOWN', MRef, process, Pid, Reason}. Node events arrive as nodeup().
//
// Not thread-safe: the owner (Scope) serialises every call.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "beamlink/pg.h"
#include "beamlink/term.h"
#include "node/process_state.h"

namespace beamlink::node::pg {

// What a scope does to the outside world.
class ScopeIo {
 public:
  virtual ~ScopeIo() = default;
  // erlang:monitor(process, Target) by the scope process.
  virtual Reference monitor_process(const Pid& target) = 0;
  virtual void demonitor_process(const Reference& ref) = 0;
  // erlang:send(To, Message, [noconnect]): dropped when To's node is not
  // connected.
  virtual void send(const Pid& to, Term message) = 0;
  // {Scope, Node} ! Message.
  virtual void send_to_scope(const std::string& node, Term message) = 0;
};

class ScopeState {
 public:
  ScopeState(Pid self, ScopeIo& io) : self_(std::move(self)), io_(io) {}

  const Pid& self() const { return self_; }

  // init/1: {discover, Self} to the scope on each of `nodes`.
  void start(const std::vector<std::string>& nodes);
  // A visible node came up: discover its scope.
  void nodeup(const std::string& node);
  // One message of the scope's mailbox; false if not understood.
  bool handle(const Term& message);

  // join_local / leave_local. `single`: the peers get Pid, not [Pid]
  // (pg sends what it was given). leave: false is not_joined.
  void join(const Term& group, const std::vector<Pid>& pids, bool single);
  bool leave(const Term& group, const std::vector<Pid>& pids, bool single);

  std::vector<Pid> members(const Term& group) const;
  std::vector<Pid> local_members(const Term& group) const;
  std::vector<Term> groups() const;
  std::vector<Term> local_groups() const;
  size_t peer_count() const { return remote_.size(); }

  // monitor/2 and monitor_scope/1: the subscriber is monitored; the monitor
  // reference is the subscription's.
  GroupSubscription monitor_group(const Pid& subscriber, const Term& group);
  ScopeSubscription monitor_scope(const Pid& subscriber);
  bool demonitor(const Reference& ref);

 private:
  struct Members {
    std::vector<Pid> all;
    std::vector<Pid> local;
  };
  struct LocalMember {
    Reference mref;
    std::vector<Term> groups;
  };
  struct Peer {
    Reference mref;
    std::map<Term, std::vector<Pid>> groups;
  };

  void discover(const Pid& peer);
  void sync(const Pid& peer, const std::vector<std::pair<Term, std::vector<Pid>>>& groups);
  void remote_join(const Pid& peer, const Term& group, const std::vector<Pid>& pids);
  void remote_leave(const Pid& peer, const std::vector<Pid>& pids, const std::vector<Term>& groups);
  void down(const Reference& mref, const Pid& pid);

  void add_members(const Term& group, const std::vector<Pid>& pids, bool local);
  void remove_local_members(const Term& group, const std::vector<Pid>& pids);
  void remove_remote_members(const Term& group, const std::vector<Pid>& pids);
  void notify(GroupEvent::Kind kind, const Term& group, const std::vector<Pid>& pids);
  void broadcast(const Term& message);
  void drop_subscription(const Reference& ref);
  Term local_snapshot() const;

  Pid self_;
  ScopeIo& io_;
  std::map<Term, Members> groups_;
  std::unordered_map<Pid, LocalMember, PidHash> local_;
  std::unordered_map<Pid, Peer, PidHash> remote_;
  std::unordered_map<Reference, Pid, ReferenceHash> scope_monitors_;
  std::unordered_map<Reference, std::pair<Pid, Term>, ReferenceHash> group_monitors_;
  std::map<Term, std::vector<std::pair<Pid, Reference>>> monitored_groups_;
};

// Parses a pid or a proper list of pids (pg's PidOrPids); nullopt if it is
// neither. `single` tells which it was.
std::optional<std::vector<Pid>> pids_of(const Term& term, bool* single = nullptr);
Term pids_term(const std::vector<Pid>& pids);

}  // namespace beamlink::node::pg
