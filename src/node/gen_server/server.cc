// The C++ gen_server loop: '$gen_call', '$gen_cast', sys's {system, ...}
// requests (message shapes from OTP 25's gen_server.erl and sys.erl) and
// everything else as info; a C++ exception ends the process as a crash.
#include "node/gen_server/server.h"

#include <exception>
#include <utility>

#include "beamlink/term_text.h"
#include "node/gen_server/caller.h"
#include "node/runtime.h"
#include "node/stats.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

// {Pid, Tag} of a call or system request, or nullptr parts.
bool from_of(const Term& term, const Pid*& pid, const Term*& tag) {
  const Tuple* from = tuple_of(term, 2);
  if (from == nullptr || !from->elements[0].is<Pid>()) return false;
  pid = &from->elements[0].as<Pid>();
  tag = &from->elements[1];
  return true;
}

Term cpp_exception(std::string_view what) {
  return tuple(atom("cpp_exception"), Term::binary(what));
}

}  // namespace

void GenServerAccess::reply(const From& from, Term value) {
  if (auto runtime = from.runtime_.lock()) {
    send_gen_reply(*runtime, from.server_, from.pid_, from.tag_, std::move(value));
  }
}

std::string ServerLoop::describe(const Pid& self) const {
  return name_.empty() ? format_term(Term(self)) : name_;
}

void ServerLoop::operator()(Process& self, Term message) {
  auto runtime = runtime_.lock();
  if (runtime == nullptr) return;
  std::optional<Term> crash;
  try {
    dispatch(self, runtime, message);
  } catch (const std::exception& e) {
    crash = cpp_exception(e.what());
  } catch (...) {
    crash = cpp_exception("unknown exception");
  }
  if (crash) {
    bump(counters_->crashes);
    runtime->log(LogLevel::error,
                 "gen_server " + describe(self.pid()) + " crashed: " + format_term(*crash));
    finish(self, *crash);
    return;
  }
  if (auto reason = GenServerAccess::take_stop(*server_)) finish(self, *reason);
}

void ServerLoop::dispatch(Process& self, const std::shared_ptr<Runtime>& runtime, Term& message) {
  const Pid* caller = nullptr;
  const Term* tag = nullptr;
  if (const Tuple* call = tuple_of(message, 3); call != nullptr) {
    if (call->elements[0].is_atom("$gen_call") && from_of(call->elements[1], caller, tag)) {
      From from = GenServerAccess::make_from(runtime, self.pid(), *caller, *tag);
      Reply answer = server_->handle_call(call->elements[2], from);
      if (answer.value()) {
        bump(counters_->calls_answered);  // first: the caller may look as soon as it has the reply
        send_gen_reply(*runtime, self.pid(), *caller, *tag, *answer.value());
      }
      return;
    }
    if (call->elements[0].is_atom("system") && from_of(call->elements[1], caller, tag)) {
      system(self, runtime, *caller, *tag, call->elements[2]);
      return;
    }
  }
  if (const Tuple* cast = tuple_of(message, 2);
      cast != nullptr && cast->elements[0].is_atom("$gen_cast")) {
    bump(counters_->casts_received);
    server_->handle_cast(cast->elements[1]);
    return;
  }
  server_->handle_info(message);
}

void ServerLoop::system(Process& self, const std::shared_ptr<Runtime>& runtime, const Pid& caller,
                        const Term& tag, const Term& request) {
  auto answer = [&](Term value) {
    send_gen_reply(*runtime, self.pid(), caller, tag, std::move(value));
  };
  if (request.is_atom("get_state") || request.is_atom("get_status")) {
    Term state;
    try {
      state = server_->state();
    } catch (const std::exception& e) {
      // sys:get_state raises this as an error in the caller, as it does for
      // an Erlang system_get_state/1 that fails.
      answer(tuple(atom("error"),
                   tuple(atom("callback_failed"), tuple(atom("gen_server"), atom("state")),
                         tuple(atom("error"), cpp_exception(e.what())))));
      return;
    }
    answer(request.is_atom("get_state") ? std::move(state) : status(self.pid()));
    return;
  }
  if (const Tuple* stop = tuple_of(request, 2);
      stop != nullptr && stop->elements[0].is_atom("terminate")) {
    answer(atom("ok"));  // sys:terminate: the reply, then the exit
    finish(self, stop->elements[1]);
    return;
  }
  answer(tuple(atom("error"), tuple(atom("unknown_system_msg"), request)));
}

// sys:get_status/1's answer for a gen_server (sys.erl get_status with
// gen_server:format_status/2): no process dictionary, running, no parent
// but itself (as gen_server:start without a supervisor), no debug options.
Term ServerLoop::status(const Pid& self) const {
  Term state = server_->state();
  Term header = Term::string("Status for generic server " + describe(self));
  Term data = Term::list({tuple(Term::string("Status"), atom("running")),
                          tuple(Term::string("Parent"), self),
                          tuple(Term::string("Logged events"), Term::list({}))});
  Term misc = Term::list({tuple(atom("header"), std::move(header)), tuple(atom("data"), data),
                          tuple(atom("data"), Term::list({tuple(Term::string("State"), state)}))});
  return tuple(
      atom("status"), self, tuple(atom("module"), atom("gen_server")),
      Term::list({Term::list({}), atom("running"), self, Term::list({}), std::move(misc)}));
}

void ServerLoop::finish(Process& self, const Term& reason) {
  try {
    server_->terminate(reason);
  } catch (const std::exception& e) {
    if (auto runtime = runtime_.lock()) {
      runtime->log(LogLevel::error,
                   "gen_server " + describe(self.pid()) + " terminate threw: " + e.what());
    }
  } catch (...) {
  }
  self.exit(reason);
}

}  // namespace beamlink::node
