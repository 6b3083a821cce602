// Links, monitors, exit signals and process exit: the signal semantics of
// Erlang processes, locally and over the OTP 23+ link protocol. Every
// signal to another node goes through route, behind the messages and
// signals routed to that node before it; locally each signal takes effect
// (or is queued in the mailbox) when it is sent, so order holds there too.
#include <asio/post.hpp>
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

Term exit_message(const Pid& from, Term reason) {
  return tuple(atom("EXIT"), from, std::move(reason));
}

Term down_message(const Reference& ref, Term object, Term reason) {
  return tuple(atom("DOWN"), ref, atom("process"), std::move(object), std::move(reason));
}

}  // namespace

void Runtime::link(const Ptr& self, const Pid& other) {
  if (other == self->pid) return;
  {
    std::lock_guard lock(self->mu);
    if (!self->alive) return;
    auto [it, inserted] = self->links.try_emplace(other);
    if (!inserted && it->second.unlinking == 0) return;  // already linked
    it->second.unlinking = 0;
  }
  if (other.node.name == name_) {
    bool linked = false;
    if (Ptr target = find_local(other)) {
      std::lock_guard lock(target->mu);
      if (target->alive) {
        target->links[self->pid] = {};
        linked = true;
      }
    }
    if (!linked) incoming_exit(other, self->pid, atom("noproc"), true);
    return;
  }
  route(
      other.node.name, tuple(op::LINK, self->pid, other), std::nullopt,
      [this, from = self->pid, other] { incoming_exit(other, from, atom("noconnection"), true); });
}

void Runtime::unlink(const Ptr& self, const Pid& other) {
  bool local = other.node.name == name_;
  uint64_t id = 0;
  {
    std::lock_guard lock(self->mu);
    auto it = self->links.find(other);
    if (it == self->links.end() || it->second.unlinking != 0) return;
    if (local) {
      self->links.erase(it);
    } else {
      id = unlink_counter_.fetch_add(1) + 1;
      it->second.unlinking = id;
    }
  }
  if (local) {
    if (Ptr target = find_local(other)) {
      std::lock_guard lock(target->mu);
      target->links.erase(self->pid);
    }
    return;
  }
  // The link stays (inactive) until the peer acknowledges this id.
  route(other.node.name, tuple(op::UNLINK_ID, static_cast<uint64_t>(id), self->pid, other),
        std::nullopt, [weak = std::weak_ptr<ProcessState>(self), other, id] {
          if (auto s = weak.lock()) {
            std::lock_guard lock(s->mu);
            auto it = s->links.find(other);
            if (it != s->links.end() && it->second.unlinking == id) s->links.erase(it);
          }
        });
}

Reference Runtime::monitor(const Ptr& self, const Pid& target, bool connect) {
  Reference ref = make_ref();
  bool remote = target.node.name != name_;
  {
    std::lock_guard lock(self->mu);
    if (!self->alive) return ref;
    self->monitors_out[ref] = MonitorOut{target, target, target.node.name, remote};
  }
  if (!remote) {
    bool monitored = false;
    if (Ptr t = find_local(target)) {
      std::lock_guard lock(t->mu);
      if (t->alive) {
        t->monitors_in[ref] = MonitorIn{self->pid, target};
        monitored = true;
      }
    }
    if (!monitored) deliver_down(self->pid, ref, atom("noproc"));
    return ref;
  }
  // connect=false: with no connection (or one closing), DOWN noconnection
  // at once, no reconnect.
  route(
      target.node.name, tuple(op::MONITOR_P, self->pid, target, ref), std::nullopt,
      [this, watcher = self->pid, ref] { deliver_down(watcher, ref, atom("noconnection")); },
      connect ? Connect::yes : Connect::no);
  return ref;
}

Reference Runtime::monitor_name(const Ptr& self, std::string_view name, std::string_view node) {
  Reference ref = make_ref();
  Term object = tuple(atom(name), atom(node));
  if (node != name_) {
    {
      std::lock_guard lock(self->mu);
      if (!self->alive) return ref;
      self->monitors_out[ref] = MonitorOut{object, atom(name), std::string(node), true};
    }
    route(node, tuple(op::MONITOR_P, self->pid, atom(name), ref), std::nullopt,
          [this, watcher = self->pid, ref] { deliver_down(watcher, ref, atom("noconnection")); });
    return ref;
  }
  Ptr t = table_->whereis(name);
  {
    std::lock_guard lock(self->mu);
    if (!self->alive) return ref;
    // Locally the target is remembered by pid, so demonitor finds it even
    // after the name is gone.
    self->monitors_out[ref] =
        MonitorOut{object, t ? Term(t->pid) : atom(name), std::string(node), false};
  }
  bool monitored = false;
  if (t != nullptr) {
    std::lock_guard lock(t->mu);
    if (t->alive) {
      t->monitors_in[ref] = MonitorIn{self->pid, atom(name)};
      monitored = true;
    }
  }
  if (!monitored) deliver_down(self->pid, ref, atom("noproc"));
  return ref;
}

void Runtime::demonitor(const Ptr& self, const Reference& ref) {
  std::optional<MonitorOut> monitor;
  {
    std::lock_guard lock(self->mu);
    if (auto it = self->monitors_out.find(ref); it != self->monitors_out.end()) {
      monitor = std::move(it->second);
      self->monitors_out.erase(it);
    }
  }
  if (monitor && !monitor->remote) {
    const Pid* pid = monitor->target.get_if<Pid>();
    if (Ptr t = pid != nullptr ? find_local(*pid) : nullptr) {
      std::lock_guard lock(t->mu);
      t->monitors_in.erase(ref);
    }
  } else if (monitor) {
    route(monitor->node, tuple(op::DEMONITOR_P, self->pid, monitor->target, ref), std::nullopt,
          nullptr, Connect::no);
  }
  // demonitor(Ref, [flush])
  self->mailbox.remove_if([ref](const Term& message) {
    const Tuple* t = tuple_of(message, 5);
    return t != nullptr && t->elements[0].is_atom("DOWN") && t->elements[1] == Term(ref);
  });
}

void Runtime::exit_signal(const Pid& from, const Pid& to, Term reason) {
  if (to.node.name == name_) {
    incoming_exit(from, to, std::move(reason), false);
    return;
  }
  route(to.node.name, tuple(op::PAYLOAD_EXIT2, from, to), std::move(reason), nullptr);
}

void Runtime::exit_process(const Ptr& state, Term reason) {
  std::deque<ExitWork> work;
  terminate(state, std::move(reason), work);
  run_exit_work(work);
}

void Runtime::incoming_exit(const Pid& from, const Pid& to, Term reason, bool from_link) {
  std::deque<ExitWork> work;
  work.push_back(ExitWork{from, to, std::move(reason), from_link});
  run_exit_work(work);
}

// Iterative, so a long chain of linked local processes does not recurse.
void Runtime::run_exit_work(std::deque<ExitWork>& work) {
  while (!work.empty()) {
    ExitWork signal = std::move(work.front());
    work.pop_front();
    Ptr target = find_local(signal.to);
    if (target == nullptr) continue;
    if (auto reason = apply_exit_signal(target, signal))
      terminate(target, std::move(*reason), work);
  }
}

// What an exit signal does to its target: nothing, an {'EXIT', From, R}
// message (trapping), or the reason the target now exits with.
std::optional<Term> Runtime::apply_exit_signal(const Ptr& target, const ExitWork& signal) {
  bool trapping = false;
  {
    std::lock_guard lock(target->mu);
    if (!target->alive) return std::nullopt;
    if (signal.from_link) {
      auto it = target->links.find(signal.from);
      if (it == target->links.end()) return std::nullopt;
      bool unlinking = it->second.unlinking != 0;
      target->links.erase(it);
      if (unlinking) return std::nullopt;  // we already unlinked: no effect
    }
    trapping = target->trap_exit;
  }
  if (!signal.from_link && signal.reason.is_atom("kill")) return atom("killed");
  if (trapping) {
    push(target, exit_message(signal.from, signal.reason));
    return std::nullopt;
  }
  if (signal.reason.is_atom("normal")) {
    // exit(self(), normal) ends the caller; a normal exit from others does not.
    if (!signal.from_link && signal.from == target->pid) return signal.reason;
    return std::nullopt;
  }
  return signal.reason;
}

void Runtime::terminate(const Ptr& state, Term reason, std::deque<ExitWork>& work) {
  std::unordered_map<Pid, LinkState, PidHash> links;
  std::unordered_map<Reference, MonitorOut, ReferenceHash> monitors_out;
  std::unordered_map<Reference, MonitorIn, ReferenceHash> monitors_in;
  std::vector<Reference> aliases;
  std::string name;
  bool node_monitor = false;
  {
    std::lock_guard lock(state->mu);
    if (!state->alive) return;
    state->alive = false;
    state->exit_reason = reason;
    links.swap(state->links);
    monitors_out.swap(state->monitors_out);
    monitors_in.swap(state->monitors_in);
    aliases.swap(state->aliases);
    name = state->name;
    node_monitor = state->node_monitor;
  }
  const Pid& pid = state->pid;
  table_->erase(pid);
  if (!name.empty()) table_->unregister_name(name, &pid);
  for (const Reference& alias : aliases) table_->remove_alias(alias);
  if (node_monitor) (void)monitor_nodes(pid, false);
  if (auto parked = state->mailbox.close()) {
    asio::post(io_, [this, parked = std::move(parked)]() mutable {
      guard_callback("a receive handler", [&] { parked(std::nullopt); });
    });
  }

  for (const auto& [other, link] : links) {
    if (link.unlinking != 0) continue;
    if (other.node.name == name_) {
      work.push_back(ExitWork{pid, other, reason, true});
    } else {
      route(other.node.name, tuple(op::PAYLOAD_EXIT, pid, other), reason, nullptr, Connect::no);
    }
  }
  for (const auto& [ref, watcher] : monitors_in) {
    if (watcher.watcher.node.name == name_) {
      deliver_down(watcher.watcher, ref, reason);
    } else {
      route(watcher.watcher.node.name,
            tuple(op::PAYLOAD_MONITOR_P_EXIT, watcher.as, watcher.watcher, ref), reason, nullptr,
            Connect::no);
    }
  }
  for (const auto& [ref, monitor] : monitors_out) {
    if (monitor.remote) {
      route(monitor.node, tuple(op::DEMONITOR_P, pid, monitor.target, ref), std::nullopt, nullptr,
            Connect::no);
    } else if (const Pid* target_pid = monitor.target.get_if<Pid>()) {
      if (Ptr t = find_local(*target_pid)) {
        std::lock_guard lock(t->mu);
        t->monitors_in.erase(ref);
      }
    }
  }
}

void Runtime::deliver_down(const Pid& watcher, const Reference& ref, Term reason) {
  Ptr w = find_local(watcher);
  if (w == nullptr) return;
  Term object;
  {
    std::lock_guard lock(w->mu);
    auto it = w->monitors_out.find(ref);
    if (it == w->monitors_out.end()) return;  // demonitored meanwhile
    object = std::move(it->second.object);
    w->monitors_out.erase(it);
  }
  push(w, down_message(ref, std::move(object), std::move(reason)));
}

Reference Runtime::create_alias(const Ptr& self) {
  Reference alias = make_ref();
  {
    std::lock_guard lock(self->mu);
    if (!self->alive) return alias;
    self->aliases.push_back(alias);
  }
  table_->add_alias(alias, self);
  return alias;
}

void Runtime::remove_alias(const Ptr& self, const Reference& alias) {
  {
    std::lock_guard lock(self->mu);
    std::erase(self->aliases, alias);
  }
  table_->remove_alias(alias);
}

// ---- Signals arriving from other nodes ----

void Runtime::incoming_link(const Pid& from, const Pid& to) {
  bool linked = false;
  if (Ptr target = find_local(to)) {
    std::lock_guard lock(target->mu);
    if (target->alive) {
      target->links[from] = {};  // also revives a link we were unlinking
      linked = true;
    }
  }
  if (!linked) {
    route(from.node.name, tuple(op::PAYLOAD_EXIT, to, from), atom("noproc"), nullptr, Connect::no);
  }
}

void Runtime::incoming_unlink(const Pid& from, const Pid& to, std::optional<uint64_t> id) {
  if (Ptr target = find_local(to)) {
    std::lock_guard lock(target->mu);
    auto it = target->links.find(from);
    // While our own UNLINK_ID is in flight the entry waits for its ack.
    if (it != target->links.end() && it->second.unlinking == 0) target->links.erase(it);
  }
  if (id) {
    route(from.node.name, tuple(op::UNLINK_ID_ACK, *id, to, from), std::nullopt, nullptr,
          Connect::no);
  }
}

void Runtime::incoming_unlink_ack(const Pid& from, const Pid& to, uint64_t id) {
  if (Ptr target = find_local(to)) {
    std::lock_guard lock(target->mu);
    auto it = target->links.find(from);
    if (it != target->links.end() && it->second.unlinking == id) target->links.erase(it);
  }
}

void Runtime::incoming_monitor(const Pid& from, const Term& target, const Reference& ref) {
  Ptr t;
  if (const Pid* pid = target.get_if<Pid>()) {
    t = find_local(*pid);
  } else if (const Atom* name = target.get_if<Atom>()) {
    t = table_->whereis(name->name);
  }
  if (t != nullptr) {
    std::lock_guard lock(t->mu);
    if (t->alive) {
      t->monitors_in[ref] = MonitorIn{from, target};
      return;
    }
  }
  route(from.node.name, tuple(op::PAYLOAD_MONITOR_P_EXIT, target, from, ref), atom("noproc"),
        nullptr, Connect::no);
}

void Runtime::incoming_demonitor(const Term& target, const Reference& ref) {
  Ptr t;
  if (const Pid* pid = target.get_if<Pid>()) {
    t = find_local(*pid);
  } else if (const Atom* name = target.get_if<Atom>()) {
    t = table_->whereis(name->name);
  }
  if (t == nullptr) return;
  std::lock_guard lock(t->mu);
  t->monitors_in.erase(ref);
}

void Runtime::incoming_down(const Pid& to, const Reference& ref, Term reason) {
  deliver_down(to, ref, std::move(reason));
}

// A connection went down: links to its processes break with noconnection,
// monitors of them fire, and its monitors of ours are forgotten.
void Runtime::node_down_signals(const std::string& node) {
  std::deque<ExitWork> work;
  for (const Ptr& p : table_->all()) {
    std::vector<Reference> downs;
    {
      std::lock_guard lock(p->mu);
      if (!p->alive) continue;
      for (auto it = p->links.begin(); it != p->links.end();) {
        if (it->first.node.name != node) {
          ++it;
        } else if (it->second.unlinking != 0) {
          it = p->links.erase(it);
        } else {
          work.push_back(ExitWork{it->first, p->pid, atom("noconnection"), true});
          ++it;
        }
      }
      for (const auto& [ref, monitor] : p->monitors_out) {
        if (monitor.remote && monitor.node == node) downs.push_back(ref);
      }
      std::erase_if(p->monitors_in,
                    [&node](const auto& entry) { return entry.second.watcher.node.name == node; });
    }
    for (const Reference& ref : downs) deliver_down(p->pid, ref, atom("noconnection"));
  }
  run_exit_work(work);
}

}  // namespace beamlink::node
