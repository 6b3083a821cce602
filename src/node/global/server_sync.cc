// global_name_server: the end of a connect (resolve, resolved, new_nodes),
// node loss and prevent_overlapping_partitions.
#include <algorithm>

#include "node/global/global_server.h"
#include "node/global/resolve_it.h"
#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

void GlobalServer::run_resolve(Process& self, const std::string& node, const Term& tag,
                               std::vector<NameEntry> names) {
  NameLookup lookup = [this](const Term& name) -> std::optional<NameEntry> {
    std::lock_guard lock(shared_->mu);
    auto it = shared_->names.find(name);
    if (it == shared_->names.end()) return std::nullopt;
    return it->second.entry;
  };
  ExchangePlan plan = plan_exchange(names, lookup, rt_->name(), node);
  ResolvePolicy policy;
  {
    std::lock_guard lock(shared_->mu);
    policy = shared_->policy;
  }
  bool all_local = std::ranges::all_of(
      plan.conflicts, [&](const Conflict& c) { return rt_->is_local(c.ours.pid); });
  auto outcome_of = [](const Term& answer, const Conflict& c) {
    ResolveOutcome out;
    if (const Pid* pid = answer.get_if<Pid>();
        pid != nullptr && (*pid == c.theirs.pid || *pid == c.ours.pid)) {
      out.kind = ResolveOutcome::Kind::pid;
      out.pid = *pid;
    } else {
      out.kind = answer.is_atom("none") ? ResolveOutcome::Kind::none : ResolveOutcome::Kind::other;
    }
    return out;
  };
  if (all_local) {
    for (const Conflict& c : plan.conflicts) {
      Term answer =
          resolve_it(*rt_, policy, c.ours.method, c.theirs.name, c.theirs.pid, c.ours.pid);
      apply_outcome(c, outcome_of(answer, c), plan);
    }
    exchange_ops(self, node, std::move(plan.ops), plan.resolved);
    return;
  }
  // Some clash needs global:resolve_it on another node: a resolver thread
  // makes the rpcs and casts {exchange_ops, ...} back, as global's does.
  std::lock_guard lock(threads_mu_);
  threads_.emplace_back([rt = rt_, server = self_, node, tag, plan = std::move(plan), policy,
                         outcome_of]() mutable {
    for (const Conflict& c : plan.conflicts) {
      ResolveOutcome out;
      if (rt->is_local(c.ours.pid)) {
        out = outcome_of(
            resolve_it(*rt, policy, c.ours.method, c.theirs.name, c.theirs.pid, c.ours.pid), c);
      } else {
        auto answer = rt->rpc(c.ours.pid.node.name, "global", "resolve_it",
                              {c.ours.method, c.theirs.name, c.theirs.pid, c.ours.pid},
                              std::chrono::seconds(10));
        out = answer ? outcome_of(*answer, c) : ResolveOutcome{ResolveOutcome::Kind::bad_rpc, {}};
      }
      apply_outcome(c, out, plan);
    }
    rt->send(rt->anonymous_pid(), server,
             gen_cast(tuple(atom("exchange_ops"), atom(node), tag, ops_term(plan.ops),
                            ops_term(plan.resolved))),
             false);
  });
}

void GlobalServer::resolved(Process& self, const std::string& node, Session::Resolved his) {
  Session& s = sessions_[node];
  std::vector<Op> ops = s.saved_ops.value_or(std::vector<Op>{});
  ops.insert(ops.end(), his.his_resolved.begin(), his.his_resolved.end());
  std::vector<std::pair<std::string, int64_t>> new_nodes{{node, node_vsn(node)}};
  std::vector<std::string> his_nodes;
  for (const auto& [n, v] : his.his_known) {
    new_nodes.emplace_back(n, v == 0 ? node_vsn(n) : v);
    his_nodes.push_back(n);
  }
  sync_others(self, his_nodes);
  Term extra = Term::list({tuple(atom("vsn"), Term(s.prot_vsn)),
                           tuple(atom("lock"), s.lock_id ? *s.lock_id : atom("undefined"))});
  do_ops(self, ops, extra);
  notify_synced(self, node, false);
  for (const std::string& n : his_nodes) {
    if (n == rt_->name()) continue;
    pending_.erase(n);
    auto it = sessions_.find(n);
    cancel_locker(self, n, it != sessions_.end() ? it->second.my_tag : std::nullopt);
    reset(n);
  }
  // Tell our partition about the new nodes before our locker lets go of
  // the lock (global's locker runs this fun before its del_lock).
  Term ops_t = ops_term(ops);
  std::vector<std::string> plain;
  for (const auto& [n, v] : new_nodes) plain.push_back(n);
  for (const auto& [n, v] : known_list()) {
    Term nodes_t = v >= kPopVersion ? known_term(new_nodes) : node_list_term(plain);
    cast_to(self, n,
            tuple(atom("new_nodes"), atom(rt_->name()), ops_t, Term::nil(), nodes_t, extra));
  }
  pending_.erase(node);
  auto it = sessions_.find(node);
  cancel_locker(self, node, it != sessions_.end() ? it->second.my_tag : std::nullopt);
  reset(node);
  std::vector<std::string> added = add_to_known(new_nodes);
  self.send(locker_, tuple(atom("add_to_known"), node_list_term(added)));
  synced_.insert(node);
}

void GlobalServer::new_nodes(Process& self, const std::string& from, const std::vector<Op>& ops,
                             const std::vector<std::pair<std::string, int64_t>>& nodes,
                             const Term& extra_info) {
  (void)from;
  std::vector<std::string> added = add_to_known(nodes);
  sync_others(self, added);
  do_ops(self, ops, extra_info);
  self.send(locker_, tuple(atom("add_to_known"), node_list_term(added)));
}

void GlobalServer::do_ops(Process& self, const std::vector<Op>& ops, const Term& extra_info) {
  for (const Op& op : ops) {
    if (op.insert) {
      insert_name(self, op.entry, lock_still_set_for_lock(extra_info));
    } else {
      delete_name(self, op.entry.name);
    }
  }
}

std::vector<std::string> GlobalServer::add_to_known(
    const std::vector<std::pair<std::string, int64_t>>& nodes) {
  std::vector<std::string> added;
  std::lock_guard lock(shared_->mu);
  for (const auto& [node, vsn] : nodes) {
    if (node == rt_->name()) continue;
    auto [it, inserted] = shared_->known.try_emplace(node, vsn);
    if (inserted) {
      added.push_back(node);
    } else if (it->second < 0) {
      it->second = vsn;
    }
  }
  return added;
}

void GlobalServer::sync_others(Process& self, const std::vector<std::string>& nodes) {
  // Connects when need be (NodeOptions::connect_all); a node that cannot be reached
  // gets an extra_nodedown, as global's sync_other sends.
  Term in_sync = gen_cast(tuple(atom("in_sync"), atom(rt_->name()), atom("true")));
  for (const std::string& node : nodes) {
    if (node == rt_->name()) continue;
    auto rt = rt_;
    Pid server = self_;
    Term control = tuple(op::REG_SEND, self.pid(), atom(""), atom("global_name_server"));
    auto unreachable = [rt, server, node] {
      rt->send(rt->anonymous_pid(), server, tuple(atom("extra_nodedown"), atom(node)), false);
    };
    if (rt_->options().connect_all) {
      rt_->route(node, std::move(control), in_sync, unreachable);
    } else if (!rt_->send_if_connected(node, control, &in_sync)) {
      unreachable();
    }
  }
}

void GlobalServer::nodedown(Process& self, const std::string& node, bool inform) {
  auto it = sessions_.find(node);
  cancel_locker(self, node, it != sessions_.end() ? it->second.my_tag : std::nullopt);
  self.send(locker_, tuple(atom("remove_from_known"), atom(node)));
  reset(node);
  if (inform) {
    if (removing_.erase(node) == 0) inform_connection_loss(self, node);
  }
  pending_.erase(node);
  {
    std::lock_guard lock(shared_->mu);
    shared_->known.erase(node);
  }
  synced_.erase(node);
  notify_synced(self, node, true);
}

void GlobalServer::inform_connection_loss(Process& self, const std::string& node) {
  (void)self;
  // global.erl informs only under connect_all (prevent_overlapping_partitions
  // needs it): without it, an extra_nodedown for a peer not yet connected
  // while a big mesh forms would make every node drop that peer.
  if (shared_->stopping.load() || !rt_->options().connect_all) return;
  Term msg = tuple(atom("lost_connection"), atom(rt_->name()), Term(int64_t{rt_->creation()}),
                   Term(next_op_id_++), atom(node));
  for (const auto& [n, v] : known_list()) {
    if (n != node && v >= kPopVersion) volatile_send(n, msg);
  }
  for (const auto& [n, v] : pending_) {
    if (n != node && v >= kPopVersion) volatile_send(n, msg);
  }
}

void GlobalServer::lost_connection(Process& self, const Tuple& msg) {
  // As global.erl: only a node that connects all (and so could overlap)
  // acts on another node's lost connection.
  if (!rt_->options().connect_all) return;
  const Atom* a = msg.elements[1].get_if<Atom>();
  const int64_t* xcreation = msg.elements[2].get_if<int64_t>();
  const int64_t* op_id = msg.elements[3].get_if<int64_t>();
  const Atom* b = msg.elements[4].get_if<Atom>();
  if (a == nullptr || b == nullptr || xcreation == nullptr || op_id == nullptr) {
    dropped_++;
    return;
  }
  auto key = std::pair{a->name, b->name};
  if (auto seen = lost_seen_.find(key); seen != lost_seen_.end() &&
                                        seen->second.first == *xcreation &&
                                        *op_id <= seen->second.second) {
    return;
  }
  if (lost_seen_.size() > 100'000) lost_seen_.clear();  // bound what peers can make us hold
  Term copy = Term(msg);
  for (const auto& [n, v] : known_list()) {
    if (n != a->name && v >= kPopVersion) volatile_send(n, copy);
  }
  for (const auto& [n, v] : pending_) {
    if (n != a->name && v >= kPopVersion) volatile_send(n, copy);
  }
  lost_seen_[key] = {*xcreation, *op_id};
  const std::string& remove = b->name == rt_->name() ? a->name : b->name;
  bool known = pending_.contains(remove) || [&] {
    std::lock_guard lock(shared_->mu);
    return shared_->known.contains(remove);
  }();
  if (!known) return;
  if (node_vsn(remove) < kPopVersion) {
    rt_->disconnect(remove);
  } else {
    volatile_send(remove, tuple(atom("remove_connection"), atom(rt_->name())));
  }
  rt_->log(LogLevel::warning,
           "global: dropping " + remove + " from our partition to prevent overlapping partitions");
  removing_.insert(remove);
  nodedown(self, remove, false);
}

}  // namespace beamlink::node::global
