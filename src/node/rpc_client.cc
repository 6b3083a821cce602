// Calls from this node to others: gen_call, ping (net_kernel is_auth) and
// rpc through the peer's rex server.
#include <utility>

#include "beamlink/term_text.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

Result<Term> Runtime::gen_call(std::string_view node, std::string_view name,
                               const std::function<Term(const Pid& self)>& make_request,
                               std::chrono::milliseconds timeout) {
  auto spawned = new_process({});
  if (!spawned) return std::unexpected(spawned.error());
  Ptr self = *spawned;
  std::string target = std::string(name) + " on " + std::string(node);
  // Monitor first, as gen:call does: a missing server or a lost connection
  // ends the wait at once instead of at the timeout.
  Reference mref = monitor_name(self, name, node);
  Reference tag = make_ref();
  send_named(self->pid, name, node,
             tuple(atom("$gen_call"), tuple(self->pid, tag), make_request(self->pid)));

  auto deadline =
      timeout == kInfinity ? Mailbox::Clock::time_point::max() : Mailbox::Clock::now() + timeout;
  Term tag_term(tag);
  Term mref_term(mref);
  auto wanted = [&](const Term& message) {
    if (const Tuple* reply = tuple_of(message, 2)) return reply->elements[0] == tag_term;
    if (const Tuple* down = tuple_of(message, 5)) {
      return down->elements[0].is_atom("DOWN") && down->elements[1] == mref_term;
    }
    if (const Tuple* io = tuple_of(message, 4)) return io->elements[0].is_atom("io_request");
    return false;
  };
  Result<Term> result = fail(Errc::timeout, "gen_call to " + target + ": no reply in " +
                                                std::to_string(timeout.count()) + " ms");
  for (;;) {
    std::optional<Term> message = self->mailbox.pop_if(wanted, deadline);
    if (!message) {
      if (stopped_) result = fail(Errc::closed, "gen_call to " + target + ": node stopped");
      break;
    }
    if (const Tuple* io = tuple_of(*message, 4)) {
      // We are the group leader of what rex runs: accept and discard output.
      if (const Pid* from = io->elements[1].get_if<Pid>()) {
        send(self->pid, *from, tuple(atom("io_reply"), io->elements[2], atom("ok")));
      }
      continue;
    }
    if (const Tuple* down = tuple_of(*message, 5)) {
      result = fail(down->elements[4].is_atom("noconnection") ? Errc::closed : Errc::not_found,
                    "gen_call to " + target + ": " + format_term(down->elements[4]));
      break;
    }
    result = std::move(message->as<Tuple>().elements[1]);
    break;
  }
  exit_process(self, atom("normal"));  // also removes the monitor
  return result;
}

bool Runtime::ping(std::string_view node, std::chrono::milliseconds timeout) {
  if (node == name_) return true;
  if (!connect(node)) return false;
  auto reply = gen_call(
      node, "net_kernel", [this](const Pid&) { return tuple(atom("is_auth"), atom(name_)); },
      timeout);
  return reply && reply->is_atom("yes");
}

Result<Term> Runtime::rpc(std::string_view node, std::string_view module, std::string_view function,
                          std::vector<Term> args, std::chrono::milliseconds timeout) {
  auto describe = [&] {
    return std::string(module) + ":" + std::string(function) + " on " + std::string(node);
  };
  if (node == name_) {
    Invocation done = invoke(Atom(std::string(module)), Atom(std::string(function)), args);
    if (done.result.kind() == CallResult::Kind::value ||
        done.result.kind() == CallResult::Kind::thrown) {
      return std::move(done.result).term();
    }
    return fail(Errc::refused, "rpc " + describe() + ": " + format_term(done.result.term()));
  }
  auto reply = gen_call(
      node, "rex",
      [&](const Pid& self) {
        return tuple(atom("call"), atom(module), atom(function), Term::list(std::move(args)), self);
      },
      timeout);
  if (!reply) return fail(reply.error().code, "rpc " + describe() + ": " + reply.error().message);
  if (const Tuple* bad = tuple_of(*reply, 2);
      bad != nullptr && bad->elements[0].is_atom("badrpc")) {
    return fail(Errc::refused, "rpc " + describe() + ": badrpc " + format_term(bad->elements[1]));
  }
  return std::move(*reply);
}

}  // namespace beamlink::node
