#include "node/gen_server/service.h"

#include <exception>
#include <utility>

#include "beamlink/term_text.h"
#include "node/runtime.h"
#include "node/services.h"
#include "node/stats.h"
#include "node/terms.h"

namespace beamlink {

Term ServerRef::to_term() const {
  switch (kind) {
    case Kind::pid:
      return Term(pid);
    case Kind::global:
      return Term::tuple({Term::atom("global"), Term::atom(name)});
    case Kind::name:
      break;
  }
  if (node.empty()) return Term::atom(name);
  return Term::tuple({Term::atom(name), Term::atom(node)});
}

std::string_view call_failure_name(CallFailure kind) {
  switch (kind) {
    case CallFailure::timeout:
      return "timeout";
    case CallFailure::noproc:
      return "noproc";
    case CallFailure::noconnection:
      return "noconnection";
    case CallFailure::exited:
      return "exit";
    case CallFailure::calling_self:
      return "calling_self";
    case CallFailure::stopped:
      return "stopped";
  }
  return "unknown";
}

void reply(const From& from, Term value) {
  node::GenServerAccess::reply(from, std::move(value));
}

}  // namespace beamlink

namespace beamlink::node {

GenServerService::GenServerService(std::shared_ptr<Runtime> runtime, const Services& services)
    : runtime_(std::move(runtime)), services_(services) {}

GlobalResolver GenServerService::resolver() const {
  return [this](std::string_view name) -> std::optional<Pid> {
    if (!services_.whereis_global) return std::nullopt;
    return services_.whereis_global(name);
  };
}

CallReply GenServerService::call(const ServerRef& to, Term request,
                                 std::chrono::milliseconds timeout) {
  auto state = runtime_->new_process({});
  if (!state) {
    return std::unexpected(
        CallError{CallFailure::stopped, atom("shutdown"), "call: " + state.error().to_string()});
  }
  Process self = runtime_->handle(std::move(*state));  // exits (normal) on return
  return call(self, to, std::move(request), timeout);
}

CallReply GenServerService::call(Process& self, const ServerRef& to, Term request,
                                 std::chrono::milliseconds timeout) {
  bump(counters_->calls_made);
  return gen_call(*runtime_, self, resolver(), to, std::move(request), timeout);
}

void GenServerService::cast(const ServerRef& to, Term request) {
  gen_cast(*runtime_, runtime_->anonymous_pid(), resolver(), to, std::move(request));
}

Result<Pid> GenServerService::start_server(std::shared_ptr<GenServer> server,
                                           const ServerOptions& options) {
  if (server == nullptr) return fail(Errc::invalid_argument, "start_server: no server");
  if (!options.register_as.empty() && runtime_->table().whereis(options.register_as)) {
    return fail(Errc::invalid_argument,
                "start_server: the name " + options.register_as + " is taken");
  }
  GenServer& callbacks = *server;
  ServerLoop loop(std::move(server), runtime_, counters_, options.register_as);
  auto state = runtime_->new_process({.trap_exit = options.trap_exit,
                                      .register_as = "",
                                      .max_mailbox = runtime_->options().max_mailbox},
                                     [loop = std::move(loop)](Process& self, Term message) mutable {
                                       loop(self, std::move(message));
                                     });
  if (!state) return std::unexpected(state.error());
  Runtime::Ptr process = *state;
  // init runs before anyone can know the pid or the name.
  GenServerAccess::set_self(callbacks, process->pid);
  std::string failure;
  try {
    callbacks.init(process->pid);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    runtime_->exit_process(process, tuple(atom("cpp_exception"), Term::binary(failure)));
    return fail(Errc::refused, "start_server: init threw: " + failure);
  }
  if (!options.register_as.empty()) {
    if (auto registered = runtime_->table().register_name(options.register_as, process);
        !registered) {
      runtime_->exit_process(process, atom("normal"));
      return std::unexpected(registered.error());
    }
  }
  return process->pid;
}

GenServerStats GenServerService::stats() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return GenServerStats{get(counters_->calls_made), get(counters_->calls_answered),
                        get(counters_->casts_received), get(counters_->crashes)};
}

}  // namespace beamlink::node
