#include "node/global/global_service.h"

#include <algorithm>

#include "node/global/lock_ops.h"
#include "node/global/multi_call.h"
#include "node/global/resolve_it.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {
constexpr unsigned kRegistrarTries = 30;
}  // namespace

Result<void> GlobalService::start(const std::shared_ptr<Runtime>& runtime, bool hidden) {
  rt_ = runtime;
  register_builtins();
  if (hidden) return {};
  auto locker_state = rt_->new_process({});
  if (!locker_state) return std::unexpected(locker_state.error());
  locker_ = std::make_unique<Locker>(rt_, shared_, rt_->handle(*locker_state));
  server_ = std::make_shared<GlobalServer>(rt_, shared_);
  std::weak_ptr<GlobalServer> weak = server_;
  auto server_state = rt_->new_process({.trap_exit = true, .register_as = "global_name_server"},
                                       [weak](Process& self, Term message) {
                                         if (auto server = weak.lock())
                                           server->handle(self, message);
                                       });
  if (!server_state) return std::unexpected(server_state.error());
  server_->set_pids((*server_state)->pid, locker_->pid());
  if (auto on = rt_->monitor_nodes((*server_state)->pid, true); !on) return on;
  locker_->start();
  enabled_ = true;
  return {};
}

void GlobalService::stop() {
  std::call_once(stop_once_, [this] {
    shared_->stopping = true;
    if (locker_) locker_->stop();
  });
}

void GlobalService::register_builtins() {
  std::weak_ptr<SharedState> weak = shared_;
  rt_->register_function("global", "whereis_name", [weak](const std::vector<Term>& args) {
    if (args.size() != 1) return CallResult::error(atom("undef"));
    auto shared = weak.lock();
    auto pid = shared ? shared->whereis(args[0]) : std::nullopt;
    return CallResult(pid ? Term(*pid) : atom("undefined"));
  });
  rt_->register_function("global", "registered_names", [weak](const std::vector<Term>& args) {
    if (!args.empty()) return CallResult::error(atom("undef"));
    std::vector<Term> names;
    if (auto shared = weak.lock()) {
      std::lock_guard lock(shared->mu);
      for (const auto& [name, reg] : shared->names) names.push_back(name);
    }
    return CallResult(Term::list(std::move(names)));
  });
  std::weak_ptr<Runtime> weak_rt = rt_;
  rt_->register_function("global", "resolve_it", [weak, weak_rt](const std::vector<Term>& args) {
    auto shared = weak.lock();
    auto rt = weak_rt.lock();
    if (args.size() != 4 || !args[2].is<Pid>() || !args[3].is<Pid>() || !shared || !rt) {
      return CallResult::error(atom("badarg"));
    }
    ResolvePolicy policy;
    {
      std::lock_guard lock(shared->mu);
      policy = shared->policy;
    }
    return CallResult(
        resolve_it(*rt, policy, args[0], args[1], args[2].as<Pid>(), args[3].as<Pid>()));
  });
}

std::vector<std::string> GlobalService::default_nodes() const {
  std::vector<std::string> nodes = rt_->nodes(NodeKind::visible);
  nodes.push_back(rt_->name());
  return nodes;
}

Result<bool> GlobalService::trans_all_known(
    const std::function<bool(Process&, const std::vector<std::string>&)>& fn) {
  if (!enabled_) return fail(Errc::unsupported, "global: this node is hidden");
  auto state = rt_->new_process({});
  if (!state) return std::unexpected(state.error());
  Process self = rt_->handle(*state);
  LockContext ctx{self, *shared_, rt_->name(), &shared_->stopping, reachable_from(rt_)};
  Term id = tuple(atom("global"), self.pid());
  auto nodes = set_lock_known(ctx, id, kRegistrarTries);
  if (!nodes) return fail(Errc::timeout, "global: could not take the registrar lock");
  bool done = fn(self, *nodes);
  delete_global_lock(ctx, id, *nodes);
  return done;
}

Result<void> GlobalService::register_name(const Term& name, const Pid& pid) {
  auto done = trans_all_known([&](Process& self, const std::vector<std::string>& nodes) {
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->names.contains(name)) return false;
      for (const auto& [n, reg] : shared_->names) {
        if (reg.entry.pid == pid) return false;
      }
    }
    (void)multi_call(self, nodes, tuple(atom("register"), name, pid, default_method()),
                     kCallTimeout);
    return true;
  });
  if (!done) return std::unexpected(done.error());
  if (!*done) return fail(Errc::refused, "global: the name is taken or the pid has a name");
  return {};
}

Result<void> GlobalService::unregister_name(const Term& name) {
  if (!shared_->whereis(name)) return {};
  auto done = trans_all_known([&](Process& self, const std::vector<std::string>& nodes) {
    (void)multi_call(self, nodes, tuple(atom("unregister"), name), kCallTimeout);
    return true;
  });
  if (!done) return std::unexpected(done.error());
  return {};
}

bool GlobalService::send(const Term& name, Term message) {
  auto pid = shared_->whereis(name);
  if (!pid) return false;
  rt_->send(rt_->anonymous_pid(), *pid, std::move(message), false);
  return true;
}

std::vector<Term> GlobalService::registered_names() const {
  std::vector<Term> names;
  std::lock_guard lock(shared_->mu);
  for (const auto& [name, reg] : shared_->names) names.push_back(name);
  return names;
}

void GlobalService::set_resolve_policy(ResolvePolicy policy) {
  std::lock_guard lock(shared_->mu);
  shared_->policy = std::move(policy);
}

bool GlobalService::set_lock(Process& holder, const Term& id, std::vector<std::string> nodes,
                             std::optional<unsigned> retries) {
  if (!enabled_ || !parse_lock_id(id)) return false;
  if (nodes.empty()) nodes = default_nodes();
  LockContext ctx{holder, *shared_, rt_->name(), &shared_->stopping, reachable_from(rt_)};
  return global::set_lock(ctx, id, nodes, retries);
}

void GlobalService::del_lock(Process& holder, const Term& id, std::vector<std::string> nodes) {
  if (!enabled_ || !parse_lock_id(id)) return;
  if (nodes.empty()) nodes = default_nodes();
  LockContext ctx{holder, *shared_, rt_->name(), &shared_->stopping, reachable_from(rt_)};
  global::del_lock(ctx, id, nodes);
}

Result<void> GlobalService::trans(const Term& resource, const std::function<void()>& fn,
                                  std::vector<std::string> nodes, std::optional<unsigned> retries) {
  if (!enabled_) return fail(Errc::unsupported, "global: this node is hidden");
  auto state = rt_->new_process({});
  if (!state) return std::unexpected(state.error());
  Process holder = rt_->handle(*state);
  Term id = tuple(resource, holder.pid());
  if (nodes.empty()) nodes = default_nodes();
  if (!set_lock(holder, id, nodes, retries)) {
    return fail(Errc::timeout, "global: trans could not take the lock");
  }
  try {
    fn();
  } catch (...) {
    del_lock(holder, id, nodes);
    throw;
  }
  del_lock(holder, id, nodes);
  return {};
}

}  // namespace beamlink::node::global
