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

CallReply gen_call(Runtime& runtime, Process& self, const GlobalResolver& whereis_global,
                   const ServerRef& to, Term request, std::chrono::milliseconds timeout) {
  if (runtime.stopped() || !self.alive()) {
    return std::unexpected(call_error(CallFailure::stopped, atom("shutdown"), to));
  }
  std::optional<Resolved> target = resolve(runtime, whereis_global, to);
  if (!target) return std::unexpected(call_error(CallFailure::noproc, atom("noproc"), to));
  if (target->pid && *target->pid == self.pid()) {
    return std::unexpected(call_error(CallFailure::calling_self, atom("calling_self"), to));
  }
  std::string node = target->pid ? target->pid->node.name : target->node;

  Reference mref = target->pid ? self.monitor(*target->pid) : self.monitor(target->name, node);
  Reference alias = self.alias();
  Term tag = Term::improper_list({atom("alias")}, Term(alias));
  Term message = tuple(atom("$gen_call"), tuple(self.pid(), tag), std::move(request));
  if (target->pid) {
    self.send(*target->pid, std::move(message));
  } else {
    self.send(target->name, node, std::move(message));
  }

  Term mref_term(mref);
  auto is_reply = [&tag](const Term& m) {
    const Tuple* t = tuple_of(m, 2);
    return t != nullptr && t->elements[0] == tag;
  };
  auto is_down = [&mref_term](const Term& m) {
    const Tuple* t = tuple_of(m, 5);
    return t != nullptr && t->elements[0].is_atom("DOWN") && t->elements[1] == mref_term;
  };
  std::optional<Term> answer =
      self.receive_if([&](const Term& m) { return is_reply(m) || is_down(m); }, timeout);

  // Whatever happened, no reply may arrive from now on.
  self.unalias(alias);
  if (answer && is_reply(*answer)) {
    self.demonitor(mref);
    return std::move(answer->as<Tuple>().elements[1]);
  }
  if (answer) {
    Term reason = std::move(answer->as<Tuple>().elements[4]);
    if (reason.is_atom("noconnection")) {
      // A global name whose node vanished is a name global has not yet
      // dropped: gen reports noproc.
      if (to.kind == ServerRef::Kind::global) {
        return std::unexpected(call_error(CallFailure::noproc, atom("noproc"), to));
      }
      return std::unexpected(
          call_error(CallFailure::noconnection, tuple(atom("nodedown"), atom(node)), to));
    }
    if (reason.is_atom("noproc")) {
      return std::unexpected(call_error(CallFailure::noproc, std::move(reason), to));
    }
    return std::unexpected(call_error(CallFailure::exited, std::move(reason), to));
  }
  self.demonitor(mref);  // flushes a DOWN that came meanwhile
  // A reply that raced the timeout is in the mailbox now or never.
  if (auto late = self.receive_if(is_reply, std::chrono::milliseconds(0))) {
    return std::move(late->as<Tuple>().elements[1]);
  }
  if (runtime.stopped() || !self.alive()) {
    return std::unexpected(call_error(CallFailure::stopped, atom("shutdown"), to));
  }
  return std::unexpected(call_error(CallFailure::timeout, atom("timeout"), to));
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
