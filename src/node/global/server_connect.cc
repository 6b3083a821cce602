// global_name_server: the connect protocol with each visible peer
// (init_connect .. resolved, new_nodes, in_sync) and the
// prevent_overlapping_partitions messages.
#include <algorithm>

#include "node/global/global_server.h"
#include "node/global/resolve_it.h"
#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {

const std::string* atom_name(const Term& t) {
  const Atom* a = t.get_if<Atom>();
  return a != nullptr ? &a->name.str() : nullptr;
}

bool is_hidden_info(const Term& info) {
  const auto* items = proper_list(info);
  if (items == nullptr) return false;
  for (const Term& item : *items) {
    const Tuple* kv = tuple_of(item, 2);
    if (kv != nullptr && kv->elements[0].is_atom("node_type")) {
      return kv->elements[1].is_atom("hidden");
    }
  }
  return false;
}

Term control_to_server(const Pid& from) {
  return tuple(op::REG_SEND, from, atom(""), atom("global_name_server"));
}

}  // namespace

// Casts of the connect protocol go only over a connection that is up: a
// session with a node that went down is over, and must not bring it back
// (sync_others is the one place that connects, as connect_all asks).
void GlobalServer::cast_to(Process& self, const std::string& node, Term request) {
  (void)self;
  volatile_send(node, gen_cast(std::move(request)));
}

void GlobalServer::volatile_send(const std::string& node, const Term& message) {
  if (rt_->send_if_connected(node, control_to_server(self_), &message)) {
    bump(rt_->counters().messages_sent);
  }
}

int64_t GlobalServer::node_vsn(const std::string& node) const {
  if (node == rt_->name()) return kProtocolVersion;
  {
    std::lock_guard lock(shared_->mu);
    if (auto it = shared_->known.find(node); it != shared_->known.end()) return it->second;
  }
  auto it = pending_.find(node);
  return it != pending_.end() ? it->second : 0;
}

std::vector<std::pair<std::string, int64_t>> GlobalServer::known_list() const {
  std::lock_guard lock(shared_->mu);
  return {shared_->known.begin(), shared_->known.end()};
}

void GlobalServer::on_cast(Process& self, const Term& request) {
  const auto* t = request.get_if<Tuple>();
  if (t == nullptr || t->elements.empty()) {
    dropped_++;
    return;
  }
  const auto& e = t->elements;
  auto is = [&](std::string_view name, size_t size) {
    return e.size() == size && e[0].is_atom(name);
  };
  const std::string* node = e.size() > 1 ? atom_name(e[1]) : nullptr;
  auto tag_ok = [&](const Term& tag) {
    auto it = sessions_.find(*node);
    return it != sessions_.end() && it->second.my_tag && *it->second.my_tag == tag;
  };
  if (is("init_connect", 4) && atom_name(e[2]) != nullptr) {
    // {init_connect, {Vsn, Tag, ...}, Node, InitMsg}
    node = atom_name(e[2]);
    const Tuple* vsn = e[1].get_if<Tuple>();
    const int64_t* his_vsn =
        vsn != nullptr && vsn->elements.size() >= 2 ? vsn->elements[0].get_if<int64_t>() : nullptr;
    if (his_vsn == nullptr) {
      dropped_++;
      return;
    }
    init_connect(self, *node, *his_vsn, vsn->elements[1], e[3]);
  } else if (is("lock_is_set", 4) && node != nullptr) {
    if (tag_ok(e[2])) {
      lock_is_set(self, *node, e[3]);
    } else {
      cancel_locker(self, *node, e[2]);
    }
  } else if (is("exchange", 5) && node != nullptr) {
    auto names = parse_names(e[2]);
    if (!names) {
      dropped_++;
    } else if (tag_ok(e[4])) {
      exchange(self, *node, std::move(*names));
    } else {
      cancel_locker(self, *node, e[4]);
    }
  } else if (is("exchange_ops", 5) && node != nullptr) {
    auto ops = parse_ops(e[3]);
    auto res = parse_ops(e[4]);
    if (!ops || !res) {
      dropped_++;
    } else if (tag_ok(e[2])) {
      exchange_ops(self, *node, std::move(*ops), *res);
    } else {
      cancel_locker(self, *node, e[2]);
    }
  } else if (is("resolved", 7) && node != nullptr) {
    auto his_resolved = parse_ops(e[2]);
    auto his_known = parse_known(e[3]);
    if (!his_resolved || !his_known) {
      dropped_++;
    } else if (tag_ok(e[6])) {
      Session::Resolved his{std::move(*his_known), e[5], std::move(*his_resolved)};
      Session& s = sessions_[*node];
      if (s.saved_ops) {
        resolved(self, *node, std::move(his));
      } else {
        s.saved_resolved = std::move(his);
      }
    } else {
      cancel_locker(self, *node, e[6]);
    }
  } else if (is("new_nodes", 6) && node != nullptr) {
    auto ops = parse_ops(e[2]);
    auto nodes = parse_known(e[4]);
    if (!ops || !nodes) {
      dropped_++;
      return;
    }
    new_nodes(self, *node, *ops, *nodes, e[5]);
  } else if (is("in_sync", 3) && node != nullptr) {
    notify_synced(self, *node, false);
    synced_.insert(*node);
    pending_.erase(*node);
    auto it = sessions_.find(*node);
    cancel_locker(self, *node, it != sessions_.end() ? it->second.my_tag : std::nullopt);
    reset(*node);
  } else if ((is("lock_set", 5) || is("lock_set", 4)) && e[1].is<Pid>()) {
    const std::string& from = e[1].as<Pid>().node.name;
    auto it = sessions_.find(from);
    // A refusal tagged 0 is global's "I have no connect with you yet": the
    // locker must hear it too, or it would wait for an answer that never
    // comes.
    bool ok = e.size() == 4 || (e[2].is_atom("false") && e[4] == Term(0)) ||
              (it != sessions_.end() && it->second.my_tag && *it->second.my_tag == e[4]);
    if (ok) self.send(locker_, request);
  } else if (is("async_del_name", 3) || is("async_del_lock", 3)) {
    // Pre-R14 messages; DOWN signals do this work.
  } else {
    dropped_++;
  }
}

void GlobalServer::on_info(Process& self, const Term& message) {
  const auto* t = message.get_if<Tuple>();
  if (t == nullptr || t->elements.size() < 2) {
    dropped_++;
    return;
  }
  const auto& e = t->elements;
  auto is = [&](std::string_view name, size_t size) {
    return e.size() == size && e[0].is_atom(name);
  };
  const std::string* node = atom_name(e[1]);
  if (is("nodeup", 3) && node != nullptr) {
    if (is_hidden_info(e[2]) || *node == rt_->name()) return;
    up_.insert(*node);
    nodeup(self, *node);
  } else if (is("nodedown", 3) && node != nullptr) {
    if (is_hidden_info(e[2]) || !up_.contains(*node)) return;
    up_.erase(*node);
    nodedown(self, *node, true);
  } else if (is("extra_nodedown", 2) && node != nullptr) {
    notify_synced(self, *node, true);
    nodedown(self, *node, true);
  } else if (is("DOWN", 5)) {
    on_down(self, e[1]);
  } else if (is("init_connect_ack", 4) && node != nullptr) {
    auto it = sessions_.find(*node);
    bool match = it != sessions_.end() && it->second.my_tag && *it->second.my_tag == e[2] &&
                 it->second.his_tag && *it->second.his_tag == e[3];
    if (!match) {
      rt_->log(LogLevel::debug, "global: connect with " + *node + " out of step; restarting");
      send_cancel_connect(self, *node, e[3]);
      restart_connect(self, *node);
    }
  } else if (is("cancel_connect", 3) && node != nullptr) {
    auto it = sessions_.find(*node);
    if (it != sessions_.end() && it->second.my_tag && *it->second.my_tag == e[2]) {
      pending_.erase(*node);
      restart_connect(self, *node);
    }
  } else if (is("lost_connection", 5)) {
    lost_connection(self, *t);
  } else if (is("remove_connection", 2) && node != nullptr) {
    bool known = pending_.contains(*node) || node_vsn(*node) != 0 || [&] {
      std::lock_guard lock(shared_->mu);
      return shared_->known.contains(*node);
    }();
    if (known) {
      rt_->log(LogLevel::warning, "global: disconnecting " + *node +
                                      " to prevent overlapping partitions (asked by the peer)");
      rt_->disconnect(*node);
      removing_.insert(*node);
      nodedown(self, *node, false);
    }
  } else if (is("whereis", 3)) {
    const Tuple* from = tuple_of(e[2], 2);
    if (from != nullptr && from->elements[0].is<Pid>()) {
      auto pid = shared_->whereis(e[1]);
      reply(self, GenCall{from->elements[0].as<Pid>(), from->elements[1], Term()},
            pid ? Term(*pid) : atom("undefined"));
    }
  } else {
    dropped_++;
  }
}

void GlobalServer::nodeup(Process& self, const std::string& node) {
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->known.contains(node)) return;
  }
  Session& s = sessions_[node];
  if (s.resolving) return;
  s.my_tag = Term(next_tag_++);
  s.resolving = true;
  Term locker = tuple(atom("locker"), atom("no_longer_a_pid"), Term::map({}), locker_);
  cast_to(self, node,
          tuple(atom("init_connect"), tuple(Term(kProtocolVersion), *s.my_tag), atom(rt_->name()),
                locker));
  if (auto pre = std::exchange(s.pre_connect, std::nullopt)) {
    const Tuple& p = pre->as<Tuple>();
    init_connect(self, node, p.elements[0].as<int64_t>(), p.elements[2], p.elements[1]);
  }
}

void GlobalServer::init_connect(Process& self, const std::string& node, int64_t his_vsn,
                                const Term& his_tag, const Term& init_msg) {
  if (pending_.contains(node)) {
    // A second connect attempt while one is under way: cancel both, restart.
    send_cancel_connect(self, node, his_tag);
    restart_connect(self, node);
  }
  int64_t vsn = std::min(his_vsn, kProtocolVersion);
  Session& s = sessions_[node];
  s.prot_vsn = vsn;
  s.his_tag = his_tag;
  if (!s.resolving || !s.my_tag) {
    s.pre_connect = tuple(Term(vsn), init_msg, his_tag);
    return;
  }
  const Tuple* locker = tuple_of(init_msg, 4);
  if (locker == nullptr || !locker->elements[0].is_atom("locker") ||
      !locker->elements[3].is<Pid>()) {
    dropped_++;
    return;
  }
  self.send(locker_, tuple(atom("his_the_locker"), locker->elements[3],
                           tuple(Term(vsn), Term::nil()), his_tag, *s.my_tag));
  volatile_send(node, tuple(atom("init_connect_ack"), atom(rt_->name()), his_tag, *s.my_tag));
  pending_[node] = his_vsn;
}

void GlobalServer::restart_connect(Process& self, const std::string& node) {
  auto it = sessions_.find(node);
  std::optional<Term> tag = it != sessions_.end() ? it->second.my_tag : std::nullopt;
  cancel_locker(self, node, tag);
  reset(node);
  pending_.erase(node);
  if (tag && up_.contains(node)) nodeup(self, node);
}

void GlobalServer::cancel_locker(Process& self, const std::string& node,
                                 const std::optional<Term>& tag) {
  self.send(locker_,
            tuple(atom("cancel"), atom(node), tag ? *tag : atom("undefined"), atom("no_fun")));
  auto it = sessions_.find(node);
  if (it == sessions_.end() || !tag || !it->second.my_tag || !(*it->second.my_tag == *tag)) {
    return;
  }
  if (auto p = pending_.find(node); p != pending_.end() && p->second >= 8 && it->second.his_tag) {
    send_cancel_connect(self, node, *it->second.his_tag);
  }
  it->second.resolving = false;
}

void GlobalServer::send_cancel_connect(Process& self, const std::string& node,
                                       const Term& his_tag) {
  (void)self;
  volatile_send(node, tuple(atom("cancel_connect"), atom(rt_->name()), his_tag));
}

void GlobalServer::lock_is_set(Process& self, const std::string& node, const Term& lock_id) {
  Session& s = sessions_[node];
  std::vector<NameEntry> names;
  {
    std::lock_guard lock(shared_->mu);
    for (const auto& [name, reg] : shared_->names) names.push_back(reg.entry);
  }
  cast_to(self, node,
          tuple(atom("exchange"), atom(rt_->name()), names_term(names), Term::nil(),
                s.his_tag ? *s.his_tag : atom("undefined")));
  s.lock_id = lock_id;
  if (s.wait == Session::Wait::exchange) {
    s.wait = Session::Wait::none;
    run_resolve(self, node, *s.my_tag, std::move(s.wait_names));
  } else {
    s.wait = Session::Wait::lock_is_set;
  }
}

void GlobalServer::exchange(Process& self, const std::string& node, std::vector<NameEntry> names) {
  Session& s = sessions_[node];
  if (s.wait == Session::Wait::lock_is_set) {
    s.wait = Session::Wait::none;
    if (s.resolving) run_resolve(self, node, *s.my_tag, std::move(names));
  } else {
    s.wait = Session::Wait::exchange;
    s.wait_names = std::move(names);
  }
}

void GlobalServer::exchange_ops(Process& self, const std::string& node, std::vector<Op> ops,
                                const std::vector<Op>& res) {
  Session& s = sessions_[node];
  std::vector<std::pair<std::string, int64_t>> known = known_list();
  Term known_t;
  if (node_vsn(node) < kPopVersion) {
    std::vector<std::string> names;
    for (const auto& [n, v] : known) names.push_back(n);
    known_t = node_list_term(names);
  } else {
    known_t = known_term(known);
  }
  cast_to(self, node,
          tuple(atom("resolved"), atom(rt_->name()), ops_term(res), known_t, atom("unused"),
                Term::nil(), s.his_tag ? *s.his_tag : atom("undefined")));
  s.saved_ops = std::move(ops);
  if (auto his = std::exchange(s.saved_resolved, std::nullopt)) resolved(self, node, *his);
}

}  // namespace beamlink::node::global
