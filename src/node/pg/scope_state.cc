#include "node/pg/scope_state.h"

#include <algorithm>

#include "node/terms.h"

namespace beamlink::node::pg {

namespace {

// Erlang's A -- B: removes the first occurrence of each element of B.
void subtract(std::vector<Pid>& from, const std::vector<Pid>& pids) {
  for (const Pid& pid : pids) {
    auto it = std::find(from.begin(), from.end(), pid);
    if (it != from.end()) from.erase(it);
  }
}

// Pids ++ List.
void prepend(std::vector<Pid>& to, const std::vector<Pid>& pids) {
  to.insert(to.begin(), pids.begin(), pids.end());
}

const std::vector<Term>* proper_list(const Term& term) {
  const auto* list = term.get_if<List>();
  return list != nullptr && list->proper() ? &list->elements : nullptr;
}

Term event_message(const Reference& ref, GroupEvent::Kind kind, const Term& group,
                   const std::vector<Pid>& pids) {
  return tuple(ref, atom(kind == GroupEvent::Kind::join ? "join" : "leave"), group,
               pids_term(pids));
}

}  // namespace

std::optional<std::vector<Pid>> pids_of(const Term& term, bool* single) {
  if (const Pid* pid = term.get_if<Pid>()) {
    if (single != nullptr) *single = true;
    return std::vector<Pid>{*pid};
  }
  const std::vector<Term>* items = proper_list(term);
  if (items == nullptr) return std::nullopt;
  std::vector<Pid> pids;
  pids.reserve(items->size());
  for (const Term& item : *items) {
    const Pid* pid = item.get_if<Pid>();
    if (pid == nullptr) return std::nullopt;
    pids.push_back(*pid);
  }
  if (single != nullptr) *single = false;
  return pids;
}

Term pids_term(const std::vector<Pid>& pids) {
  std::vector<Term> items(pids.begin(), pids.end());
  return Term::list(std::move(items));
}

void ScopeState::start(const std::vector<std::string>& nodes) {
  for (const std::string& node : nodes) nodeup(node);
}

void ScopeState::nodeup(const std::string& node) {
  if (node == self_.node.name) return;
  io_.send_to_scope(node, tuple(atom("discover"), self_));
}

bool ScopeState::handle(const Term& message) {
  const Tuple* t = message.get_if<Tuple>();
  if (t == nullptr || t->elements.empty()) return false;
  const std::vector<Term>& e = t->elements;
  if (e.size() == 2 && e[0].is_atom("discover") && e[1].is<Pid>()) {
    discover(e[1].as<Pid>());
    return true;
  }
  if (e.size() == 2 && e[0].is_atom("$gen_cast")) {
    const Tuple* s = tuple_of(e[1], 3);
    if (s == nullptr || !s->elements[0].is_atom("sync") || !s->elements[1].is<Pid>()) return false;
    const std::vector<Term>* items = proper_list(s->elements[2]);
    if (items == nullptr) return false;
    std::vector<std::pair<Term, std::vector<Pid>>> groups;
    groups.reserve(items->size());
    for (const Term& item : *items) {
      const Tuple* g = tuple_of(item, 2);
      auto pids = g != nullptr ? pids_of(g->elements[1]) : std::nullopt;
      if (!pids || g->elements[1].is<Pid>()) return false;
      groups.emplace_back(g->elements[0], std::move(*pids));
    }
    sync(s->elements[1].as<Pid>(), groups);
    return true;
  }
  if (e.size() == 4 && e[0].is_atom("join") && e[1].is<Pid>()) {
    auto pids = pids_of(e[3]);
    if (!pids) return false;
    remote_join(e[1].as<Pid>(), e[2], *pids);
    return true;
  }
  if (e.size() == 4 && e[0].is_atom("leave") && e[1].is<Pid>()) {
    auto pids = pids_of(e[2]);
    const std::vector<Term>* groups = proper_list(e[3]);
    if (!pids || groups == nullptr) return false;
    remote_leave(e[1].as<Pid>(), *pids, *groups);
    return true;
  }
  if (e.size() == 5 && e[0].is_atom("DOWN") && e[1].is<Reference>() && e[2].is_atom("process") &&
      e[3].is<Pid>()) {
    down(e[1].as<Reference>(), e[3].as<Pid>());
    return true;
  }
  return false;
}

void ScopeState::discover(const Pid& peer) {
  io_.send(peer, tuple(atom("$gen_cast"), tuple(atom("sync"), self_, local_snapshot())));
  if (remote_.contains(peer)) return;
  Reference mref = io_.monitor_process(peer);
  io_.send(peer, tuple(atom("discover"), self_));
  remote_.emplace(peer, Peer{std::move(mref), {}});
}

void ScopeState::sync(const Pid& peer,
                      const std::vector<std::pair<Term, std::vector<Pid>>>& groups) {
  auto it = remote_.find(peer);
  if (it == remote_.end()) it = remote_.emplace(peer, Peer{io_.monitor_process(peer), {}}).first;
  std::map<Term, std::vector<Pid>> old = std::move(it->second.groups);
  for (const auto& [group, pids] : groups) {
    auto known = old.find(group);
    if (known == old.end()) {
      add_members(group, pids, /*local=*/false);
      continue;
    }
    if (known->second != pids) {
      // pg.erl: replace this peer's members without telling subscribers.
      if (auto g = groups_.find(group); g != groups_.end()) {
        std::vector<Pid> all = g->second.all;
        subtract(all, known->second);
        prepend(all, pids);
        g->second.all = std::move(all);
      }
    }
    old.erase(known);
  }
  for (const auto& [group, pids] : old) remove_remote_members(group, pids);
  std::map<Term, std::vector<Pid>> fresh;
  for (const auto& [group, pids] : groups) fresh[group] = pids;
  it->second.groups = std::move(fresh);
}

void ScopeState::remote_join(const Pid& peer, const Term& group, const std::vector<Pid>& pids) {
  auto it = remote_.find(peer);
  if (it == remote_.end()) return;  // a peer outside the overlay, or one that just left
  add_members(group, pids, /*local=*/false);
  prepend(it->second.groups[group], pids);
}

void ScopeState::remote_leave(const Pid& peer, const std::vector<Pid>& pids,
                              const std::vector<Term>& groups) {
  auto it = remote_.find(peer);
  if (it == remote_.end()) return;
  for (const Term& group : groups) {
    remove_remote_members(group, pids);
    auto g = it->second.groups.find(group);
    if (g == it->second.groups.end()) continue;
    subtract(g->second, pids);
    if (g->second.empty()) it->second.groups.erase(g);
  }
}

void ScopeState::down(const Reference& mref, const Pid& pid) {
  if (pid.node == self_.node) {
    auto it = local_.find(pid);
    if (it == local_.end() || it->second.mref != mref) {
      drop_subscription(mref);
      return;
    }
    std::vector<Term> groups = std::move(it->second.groups);
    local_.erase(it);
    for (const Term& group : groups) remove_local_members(group, {pid});
    broadcast(tuple(atom("leave"), self_, pid, Term::list(groups)));
    return;
  }
  auto it = remote_.find(pid);
  if (it == remote_.end() || it->second.mref != mref) {
    drop_subscription(mref);
    return;
  }
  std::map<Term, std::vector<Pid>> groups = std::move(it->second.groups);
  remote_.erase(it);
  for (const auto& [group, pids] : groups) remove_remote_members(group, pids);
}

void ScopeState::join(const Term& group, const std::vector<Pid>& pids, bool single) {
  for (const Pid& pid : pids) {
    auto it = local_.find(pid);
    if (it != local_.end()) {
      it->second.groups.insert(it->second.groups.begin(), group);
    } else {
      local_.emplace(pid, LocalMember{io_.monitor_process(pid), {group}});
    }
  }
  add_members(group, pids, /*local=*/true);
  broadcast(tuple(atom("join"), self_, group, single ? Term(pids.front()) : pids_term(pids)));
}

bool ScopeState::leave(const Term& group, const std::vector<Pid>& pids, bool single) {
  bool changed = false;
  for (const Pid& pid : pids) {
    auto it = local_.find(pid);
    if (it == local_.end()) continue;
    std::vector<Term>& joined = it->second.groups;
    auto g = std::find(joined.begin(), joined.end(), group);
    if (g == joined.end()) continue;
    changed = true;
    joined.erase(g);
    if (joined.empty()) {
      io_.demonitor_process(it->second.mref);
      local_.erase(it);
    }
  }
  if (!changed) return false;
  remove_local_members(group, pids);
  broadcast(tuple(atom("leave"), self_, single ? Term(pids.front()) : pids_term(pids),
                  Term::list({group})));
  return true;
}

void ScopeState::add_members(const Term& group, const std::vector<Pid>& pids, bool local) {
  Members& m = groups_[group];
  prepend(m.all, pids);
  if (local) prepend(m.local, pids);
  notify(GroupEvent::Kind::join, group, pids);
}

void ScopeState::remove_local_members(const Term& group, const std::vector<Pid>& pids) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return;  // a DOWN that raced with a leave
  subtract(it->second.all, pids);
  if (it->second.all.empty()) {
    groups_.erase(it);
  } else {
    subtract(it->second.local, pids);
  }
  notify(GroupEvent::Kind::leave, group, pids);
}

void ScopeState::remove_remote_members(const Term& group, const std::vector<Pid>& pids) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return;
  subtract(it->second.all, pids);
  if (it->second.all.empty() && it->second.local.empty()) groups_.erase(it);
  notify(GroupEvent::Kind::leave, group, pids);
}

void ScopeState::notify(GroupEvent::Kind kind, const Term& group, const std::vector<Pid>& pids) {
  for (const auto& [ref, pid] : scope_monitors_)
    io_.send(pid, event_message(ref, kind, group, pids));
  auto it = monitored_groups_.find(group);
  if (it == monitored_groups_.end()) return;
  for (const auto& [pid, ref] : it->second) io_.send(pid, event_message(ref, kind, group, pids));
}

void ScopeState::broadcast(const Term& message) {
  for (const auto& [peer, state] : remote_) io_.send(peer, message);
}

Term ScopeState::local_snapshot() const {
  std::map<Term, std::vector<Pid>> by_group;
  for (const auto& [pid, member] : local_) {
    for (const Term& group : member.groups) {
      std::vector<Pid>& pids = by_group[group];
      pids.insert(pids.begin(), pid);
    }
  }
  std::vector<Term> items;
  items.reserve(by_group.size());
  for (const auto& [group, pids] : by_group) items.push_back(tuple(group, pids_term(pids)));
  return Term::list(std::move(items));
}

std::vector<Pid> ScopeState::members(const Term& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? std::vector<Pid>{} : it->second.all;
}

std::vector<Pid> ScopeState::local_members(const Term& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? std::vector<Pid>{} : it->second.local;
}

std::vector<Term> ScopeState::groups() const {
  std::vector<Term> out;
  out.reserve(groups_.size());
  for (const auto& [group, members] : groups_) out.push_back(group);
  return out;
}

std::vector<Term> ScopeState::local_groups() const {
  std::vector<Term> out;
  for (const auto& [group, members] : groups_) {
    if (!members.local.empty()) out.push_back(group);
  }
  return out;
}

GroupSubscription ScopeState::monitor_group(const Pid& subscriber, const Term& group) {
  GroupSubscription out{io_.monitor_process(subscriber), members(group)};
  group_monitors_.emplace(out.ref, std::make_pair(subscriber, group));
  monitored_groups_[group].emplace_back(subscriber, out.ref);
  return out;
}

ScopeSubscription ScopeState::monitor_scope(const Pid& subscriber) {
  ScopeSubscription out{io_.monitor_process(subscriber), {}};
  for (const auto& [group, members] : groups_) out.groups.emplace_back(group, members.all);
  scope_monitors_.emplace(out.ref, subscriber);
  return out;
}

bool ScopeState::demonitor(const Reference& ref) {
  if (!scope_monitors_.contains(ref) && !group_monitors_.contains(ref)) return false;
  io_.demonitor_process(ref);
  drop_subscription(ref);
  return true;
}

void ScopeState::drop_subscription(const Reference& ref) {
  if (scope_monitors_.erase(ref) > 0) return;
  auto it = group_monitors_.find(ref);
  if (it == group_monitors_.end()) return;
  auto watchers = monitored_groups_.find(it->second.second);
  if (watchers != monitored_groups_.end()) {
    std::erase_if(watchers->second, [&ref](const auto& entry) { return entry.second == ref; });
    if (watchers->second.empty()) monitored_groups_.erase(watchers);
  }
  group_monitors_.erase(it);
}

}  // namespace beamlink::node::pg
