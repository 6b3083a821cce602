#include "node/pg/pg_service.h"

#include "node/pg/scope.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::pg {

namespace {

Term pid_list(const std::vector<Pid>& pids) {
  return pids_term(pids);
}

CallResult badarg() {
  return CallResult::error(atom("badarg"));
}

}  // namespace

Result<std::shared_ptr<PgService>> PgService::start(const std::shared_ptr<Runtime>& runtime) {
  auto service = std::make_shared<PgService>(runtime);
  auto scope = service->scope(kDefaultScope);
  if (!scope) return std::unexpected(scope.error());
  service->default_ = *scope;
  service->register_builtins();
  return service;
}

Result<ProcessGroups*> PgService::scope(std::string_view name) {
  std::lock_guard lock(mu_);
  if (stopped_) return fail(Errc::closed, "pg: the node is stopped");
  if (auto it = scopes_.find(name); it != scopes_.end()) return it->second.get();
  auto started = Scope::start(rt_, std::string(name));
  if (!started) return std::unexpected(started.error());
  ProcessGroups* out = started->get();
  scopes_.emplace(std::string(name), std::move(*started));
  return out;
}

ProcessGroups* PgService::find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = scopes_.find(name);
  return it == scopes_.end() || stopped_ ? nullptr : it->second.get();
}

void PgService::stop() {
  std::map<std::string, std::shared_ptr<Scope>, std::less<>> scopes;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    scopes = scopes_;  // the objects stay alive for references the user holds
  }
  for (auto& [name, scope] : scopes) scope->stop();
}

void PgService::register_builtins() {
  std::weak_ptr<PgService> weak = weak_from_this();
  // Scope argument: pg's ETS-backed readers answer [] for a scope that
  // does not run here; which_groups raises badarg, as ets:match does.
  auto scope_of = [weak](const std::vector<Term>& args, size_t scoped_arity) -> ProcessGroups* {
    auto self = weak.lock();
    if (!self) return nullptr;
    if (args.size() < scoped_arity) return self->find(kDefaultScope);
    const Atom* name = args[0].get_if<Atom>();
    return name == nullptr ? nullptr : self->find(name->name);
  };
  auto members = [scope_of](bool local) {
    return [scope_of, local](const std::vector<Term>& args) -> CallResult {
      if (args.empty() || args.size() > 2) return CallResult::error(atom("undef"));
      if (args.size() == 2 && !args[0].is<Atom>()) return badarg();
      ProcessGroups* scope = scope_of(args, 2);
      if (scope == nullptr) return Term::list({});
      const Term& group = args.back();
      return pid_list(local ? scope->get_local_members(group) : scope->get_members(group));
    };
  };
  rt_->register_function("pg", "get_members", members(false));
  rt_->register_function("pg", "get_local_members", members(true));
  rt_->register_function("pg", "which_groups",
                         [scope_of](const std::vector<Term>& args) -> CallResult {
                           if (args.size() > 1) return CallResult::error(atom("undef"));
                           ProcessGroups* scope = scope_of(args, 1);
                           if (scope == nullptr) return badarg();
                           return Term::list(scope->which_groups());
                         });
  rt_->register_function("pg", "which_local_groups",
                         [scope_of](const std::vector<Term>& args) -> CallResult {
                           if (args.size() > 1) return CallResult::error(atom("undef"));
                           ProcessGroups* scope = scope_of(args, 1);
                           if (scope == nullptr) return badarg();
                           return Term::list(scope->which_local_groups());
                         });
}

}  // namespace beamlink::node::pg
