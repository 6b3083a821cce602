#include "node/pg/scope.h"

#include <exception>

#include "beamlink/term_text.h"
#include "node/ops.h"
#include "node/terms.h"

namespace beamlink::node::pg {

namespace {

bool hidden_node(const Term& info) {
  const auto* list = info.get_if<List>();
  if (list == nullptr) return false;
  for (const Term& item : list->elements) {
    const Tuple* t = tuple_of(item, 2);
    if (t != nullptr && t->elements[0].is_atom("node_type"))
      return t->elements[1].is_atom("hidden");
  }
  return false;
}

// {Ref, join | leave, Group, [Pid]} as a GroupEvent.
std::optional<GroupEvent> event_of(const Term& message) {
  const Tuple* t = tuple_of(message, 4);
  if (t == nullptr || !t->elements[0].is<Reference>()) return std::nullopt;
  bool join = t->elements[1].is_atom("join");
  if (!join && !t->elements[1].is_atom("leave")) return std::nullopt;
  auto pids = pids_of(t->elements[3]);
  if (!pids) return std::nullopt;
  return GroupEvent{join ? GroupEvent::Kind::join : GroupEvent::Kind::leave, t->elements[2],
                    std::move(*pids)};
}

}  // namespace

Scope::Scope(std::shared_ptr<Runtime> runtime, std::string name)
    : rt_(std::move(runtime)), name_(std::move(name)) {}

Scope::~Scope() {
  stop();
}

Result<std::shared_ptr<Scope>> Scope::start(const std::shared_ptr<Runtime>& runtime,
                                            std::string name) {
  if (name.empty() || name.size() > 255) {
    return fail(Errc::invalid_argument, "pg scope name must be 1..255 bytes");
  }
  auto scope = std::make_shared<Scope>(runtime, std::move(name));
  std::lock_guard lock(scope->mu_);
  SpawnOptions options;
  options.register_as = scope->name_;
  // An exit signal (a link of some process that died) must not end the
  // scope: it becomes a message, counted as not understood. Only `kill`
  // ends it, as it would end OTP's pg.
  options.trap_exit = true;
  auto process =
      runtime->new_process(options, [weak = std::weak_ptr<Scope>(scope)](Process&, Term message) {
        if (auto self = weak.lock()) self->on_message(message);
      });
  if (!process) {
    return fail(process.error().code, "pg scope " + scope->name_ + ": " + process.error().message);
  }
  scope->process_ = *process;
  scope->state_ = std::make_unique<ScopeState>(scope->process_->pid, static_cast<ScopeIo&>(*scope));
  if (auto monitored = runtime->monitor_nodes(scope->process_->pid, true); !monitored) {
    return std::unexpected(monitored.error());
  }
  scope->state_->start(runtime->nodes(NodeKind::visible));
  return scope;
}

void Scope::stop() {
  std::vector<Runtime::Ptr> ending;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [ref, process] : callbacks_) ending.push_back(std::move(process));
    callbacks_.clear();
    if (process_) ending.push_back(process_);
  }
  // Peers monitoring the scope process see it go down and drop our members.
  for (const Runtime::Ptr& p : ending) rt_->exit_process(p, atom("shutdown"));
}

void Scope::on_message(const Term& message) {
  // The user's logger runs after mu_ is released (it may call into pg).
  bool dropped = false;
  {
    std::lock_guard lock(mu_);
    dropped = handle_locked(message);
  }
  if (dropped) {
    rt_->log(LogLevel::debug, "pg scope " + name_ + " dropped " + format_term(message));
  }
}

// True if `message` was dropped. REQUIRES: mu_ held.
bool Scope::handle_locked(const Term& message) {
  if (stopped_ || !state_) return false;
  if (const Tuple* t = tuple_of(message, 3)) {
    if (t->elements[0].is_atom("nodeup") && t->elements[1].is<Atom>()) {
      if (!hidden_node(t->elements[2])) state_->nodeup(t->elements[1].as<Atom>().name);
      return false;
    }
    if (t->elements[0].is_atom("nodedown")) return false;  // the peer scope's DOWN does the work
  }
  if (state_->handle(message)) return false;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Reference Scope::monitor_process(const Pid& target) {
  return rt_->monitor(process_, target, /*connect=*/false);
}

void Scope::demonitor_process(const Reference& ref) {
  rt_->demonitor(process_, ref);
}

void Scope::send(const Pid& to, Term message) {
  if (to.node.name == rt_->name()) {
    rt_->send(process_->pid, to, std::move(message));
    return;
  }
  // erlang:send(.., [noconnect]): a peer that is not connected gets nothing
  // (and is not reconnected).
  send_noconnect(to.node.name, tuple(op::SEND_SENDER, process_->pid, to), message);
}

void Scope::send_to_scope(const std::string& node, Term message) {
  // Only over a connection that is up: a nodeup read after the node went
  // down again must not reconnect it.
  send_noconnect(node, tuple(op::REG_SEND, process_->pid, atom(""), atom(name_)), message);
}

void Scope::send_noconnect(const std::string& node, const Term& control, const Term& message) {
  if (rt_->send_if_connected(node, control, &message)) {
    bump(rt_->counters().messages_sent);
  } else {
    bump(rt_->counters().dropped_no_connection);
  }
}

Result<void> Scope::change(const Term& group, const std::vector<Pid>& pids, bool single,
                           bool joining) {
  for (const Pid& pid : pids) {
    if (!rt_->is_local(pid)) {
      return fail(Errc::invalid_argument,
                  "pg " + name_ + ": " + format_term(Term(pid)) + " is not a pid of this node");
    }
  }
  std::lock_guard lock(mu_);
  if (stopped_ || !state_) return fail(Errc::closed, "pg " + name_ + ": the scope is stopped");
  if (pids.empty()) return {};
  if (joining) {
    state_->join(group, pids, single);
    return {};
  }
  if (!state_->leave(group, pids, single)) {
    return fail(Errc::not_found, "pg " + name_ + ": not joined to " + format_term(group));
  }
  return {};
}

Result<void> Scope::join(const Term& group, const Pid& pid) {
  return change(group, {pid}, true, true);
}
Result<void> Scope::join(const Term& group, const std::vector<Pid>& pids) {
  return change(group, pids, false, true);
}
Result<void> Scope::leave(const Term& group, const Pid& pid) {
  return change(group, {pid}, true, false);
}
Result<void> Scope::leave(const Term& group, const std::vector<Pid>& pids) {
  return change(group, pids, false, false);
}

std::vector<Pid> Scope::get_members(const Term& group) const {
  std::lock_guard lock(mu_);
  return state_ && !stopped_ ? state_->members(group) : std::vector<Pid>{};
}
std::vector<Pid> Scope::get_local_members(const Term& group) const {
  std::lock_guard lock(mu_);
  return state_ && !stopped_ ? state_->local_members(group) : std::vector<Pid>{};
}
std::vector<Term> Scope::which_groups() const {
  std::lock_guard lock(mu_);
  return state_ && !stopped_ ? state_->groups() : std::vector<Term>{};
}
std::vector<Term> Scope::which_local_groups() const {
  std::lock_guard lock(mu_);
  return state_ && !stopped_ ? state_->local_groups() : std::vector<Term>{};
}

Result<GroupSubscription> Scope::monitor(const Term& group, const Pid& subscriber) {
  if (rt_->find_local(subscriber) == nullptr) {
    return fail(Errc::invalid_argument, "pg " + name_ + ": monitor: not a live local process");
  }
  std::lock_guard lock(mu_);
  if (stopped_ || !state_) return fail(Errc::closed, "pg " + name_ + ": the scope is stopped");
  return state_->monitor_group(subscriber, group);
}

Result<ScopeSubscription> Scope::monitor_scope(const Pid& subscriber) {
  if (rt_->find_local(subscriber) == nullptr) {
    return fail(Errc::invalid_argument, "pg " + name_ + ": monitor: not a live local process");
  }
  std::lock_guard lock(mu_);
  if (stopped_ || !state_) return fail(Errc::closed, "pg " + name_ + ": the scope is stopped");
  return state_->monitor_scope(subscriber);
}

Result<Runtime::Ptr> Scope::callback_process(GroupEventHandler handler) {
  if (!handler) return fail(Errc::invalid_argument, "pg " + name_ + ": empty handler");
  Runtime* rt = rt_.get();
  return rt_->new_process({}, [rt, handler = std::move(handler), errors = callback_errors_,
                               scope = name_](Process&, Term message) {
    auto event = event_of(message);
    if (!event) return;
    try {
      handler(*event);
    } catch (const std::exception& e) {
      errors->fetch_add(1, std::memory_order_relaxed);
      rt->log(LogLevel::error, "pg " + scope + ": subscription callback threw: " + e.what());
    } catch (...) {
      errors->fetch_add(1, std::memory_order_relaxed);
      rt->log(LogLevel::error, "pg " + scope + ": subscription callback threw");
    }
  });
}

template <class Subscribe>
auto Scope::subscribe_callback(GroupEventHandler handler, Subscribe subscribe)
    -> Result<decltype(subscribe(Pid{}))> {
  auto process = callback_process(std::move(handler));
  if (!process) return std::unexpected(process.error());
  std::unique_lock lock(mu_);
  if (stopped_ || !state_) {
    lock.unlock();
    rt_->exit_process(*process, atom("normal"));
    return fail(Errc::closed, "pg " + name_ + ": the scope is stopped");
  }
  auto sub = subscribe((*process)->pid);
  callbacks_.emplace(sub.ref, *process);
  return sub;
}

Result<GroupSubscription> Scope::monitor(const Term& group, GroupEventHandler handler) {
  return subscribe_callback(std::move(handler),
                            [&](const Pid& pid) { return state_->monitor_group(pid, group); });
}

Result<ScopeSubscription> Scope::monitor_scope(GroupEventHandler handler) {
  return subscribe_callback(std::move(handler),
                            [&](const Pid& pid) { return state_->monitor_scope(pid); });
}

bool Scope::demonitor(const Reference& ref) {
  Runtime::Ptr helper;
  bool found = false;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || !state_) return false;
    found = state_->demonitor(ref);
    if (auto it = callbacks_.find(ref); it != callbacks_.end()) {
      helper = std::move(it->second);
      callbacks_.erase(it);
    }
  }
  if (helper) rt_->exit_process(helper, atom("normal"));
  return found;
}

uint64_t Scope::dropped() const {
  return dropped_.load(std::memory_order_relaxed);
}

uint64_t Scope::callback_errors() const {
  return callback_errors_->load(std::memory_order_relaxed);
}

}  // namespace beamlink::node::pg
