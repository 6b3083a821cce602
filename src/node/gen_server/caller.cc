// gen:call and gen_server:cast as OTP 24+ make them (stdlib gen.erl):
// monitor + alias, tag [alias | Alias], and after a timeout the alias is
// removed and the monitor flushed so a late reply is dropped on arrival.
#include "node/gen_server/caller.h"

#include <utility>

#include "beamlink/term_text.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

// Where the request goes once names are resolved: a pid, or {Name, Node}
// for a name on another node (resolved there).
struct Resolved {
  std::optional<Pid> pid;
  std::string name;
  std::string node;
};

CallError call_error(CallFailure kind, Term reason, const ServerRef& to) {
  std::string message =
      "call to " + format_term(to.to_term()) + ": " + std::string(call_failure_name(kind));
  if (kind == CallFailure::exited || kind == CallFailure::noconnection) {
    message += " " + format_term(reason);
  }
  return CallError{kind, std::move(reason), std::move(message)};
}

std::optional<Resolved> resolve(Runtime& runtime, const GlobalResolver& whereis_global,
                                const ServerRef& to) {
  switch (to.kind) {
    case ServerRef::Kind::pid:
      return Resolved{to.pid, "", ""};
    case ServerRef::Kind::global: {
      std::optional<Pid> pid = whereis_global ? whereis_global(to.name) : std::nullopt;
      if (!pid) return std::nullopt;
      return Resolved{*pid, "", ""};
    }
    case ServerRef::Kind::name:
      break;
  }
  if (!to.node.empty() && to.node != runtime.name())
    return Resolved{std::nullopt, to.name, to.node};
  auto state = runtime.table().whereis(to.name);
  if (state == nullptr) return std::nullopt;
  return Resolved{state->pid, "", ""};
}

}  // namespace

std::variant<CallError, PendingCall> start_call(Runtime& runtime, Process& self,
                                                const GlobalResolver& whereis_global,
                                                const ServerRef& to, Term request) {
  if (runtime.stopped() || !self.alive()) {
    return call_error(CallFailure::stopped, atom("shutdown"), to);
  }
  std::optional<Resolved> target = resolve(runtime, whereis_global, to);
  if (!target) return call_error(CallFailure::noproc, atom("noproc"), to);
  if (target->pid && *target->pid == self.pid()) {
    return call_error(CallFailure::calling_self, atom("calling_self"), to);
  }
  PendingCall call;
  call.to = to;
  call.node = target->pid ? target->pid->node.name : target->node;
  call.mref = target->pid ? self.monitor(*target->pid) : self.monitor(target->name, call.node);
  call.alias = self.alias();
  call.tag = Term::improper_list({atom("alias")}, Term(call.alias));
  Term message = tuple(atom("$gen_call"), tuple(self.pid(), call.tag), std::move(request));
  if (target->pid) {
    self.send(*target->pid, std::move(message));
  } else {
    self.send(target->name, call.node, std::move(message));
  }
  return call;
}

bool PendingCall::is_reply(const Term& message) const {
  const Tuple* t = tuple_of(message, 2);
  return t != nullptr && t->elements[0] == tag;
}

bool PendingCall::is_down(const Term& message) const {
  const Tuple* t = tuple_of(message, 5);
  return t != nullptr && t->elements[0].is_atom("DOWN") && t->elements[1] == Term(mref);
}

CallReply finish_call(Runtime& runtime, Process& self, const PendingCall& call,
                      std::optional<Term> answer) {
  // Whatever happened, no reply may arrive from now on.
  self.unalias(call.alias);
  if (answer && call.is_reply(*answer)) {
    self.demonitor(call.mref);
    return std::move(answer->as<Tuple>().elements[1]);
  }
  const ServerRef& to = call.to;
  if (answer) {
    Term reason = std::move(answer->as<Tuple>().elements[4]);
    if (reason.is_atom("noconnection")) {
      // A global name whose node vanished is a name global has not yet
      // dropped: gen reports noproc.
      if (to.kind == ServerRef::Kind::global) {
        return std::unexpected(call_error(CallFailure::noproc, atom("noproc"), to));
      }
      return std::unexpected(
          call_error(CallFailure::noconnection, tuple(atom("nodedown"), atom(call.node)), to));
    }
    if (reason.is_atom("noproc")) {
      return std::unexpected(call_error(CallFailure::noproc, std::move(reason), to));
    }
    return std::unexpected(call_error(CallFailure::exited, std::move(reason), to));
  }
  self.demonitor(call.mref);  // flushes a DOWN that came meanwhile
  // A reply that raced the timeout is in the mailbox now or never.
  if (auto late = self.receive_if([&call](const Term& m) { return call.is_reply(m); },
                                  std::chrono::milliseconds(0))) {
    return std::move(late->as<Tuple>().elements[1]);
  }
  if (runtime.stopped() || !self.alive()) {
    return std::unexpected(call_error(CallFailure::stopped, atom("shutdown"), to));
  }
  return std::unexpected(call_error(CallFailure::timeout, atom("timeout"), to));
}

CallReply gen_call(Runtime& runtime, Process& self, const GlobalResolver& whereis_global,
                   const ServerRef& to, Term request, std::chrono::milliseconds timeout) {
  auto started = start_call(runtime, self, whereis_global, to, std::move(request));
  if (auto* error = std::get_if<CallError>(&started)) return std::unexpected(std::move(*error));
  const PendingCall& call = std::get<PendingCall>(started);
  std::optional<Term> answer = self.receive_if(
      [&call](const Term& m) { return call.is_reply(m) || call.is_down(m); }, timeout);
  return finish_call(runtime, self, call, std::move(answer));
}

void gen_cast(Runtime& runtime, const Pid& from, const GlobalResolver& whereis_global,
              const ServerRef& to, Term request) {
  Term message = tuple(atom("$gen_cast"), std::move(request));
  std::optional<Resolved> target = resolve(runtime, whereis_global, to);
  if (!target) {
    bump(runtime.counters().dropped_unknown_name);
    return;
  }
  if (target->pid) {
    runtime.send(from, *target->pid, std::move(message));
  } else {
    runtime.send_named(from, target->name, target->node, std::move(message));
  }
}

void send_gen_reply(Runtime& runtime, const Pid& server, const Pid& caller, const Term& tag,
                    Term value) {
  if (const Reference* alias = alias_of_tag(tag)) {
    runtime.send_alias(server, *alias, tuple(tag, std::move(value)));
  } else {
    runtime.send(server, caller, tuple(tag, std::move(value)));
  }
}

}  // namespace beamlink::node
