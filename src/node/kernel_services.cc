// The kernel services a peer expects of a node: net_kernel (is_auth, so
// net_adm:ping answers pong), spawn requests for erpc calls and casts, and
// the table of C++ functions they run (rex is in kernel/rex.cc, the erlang:
// built-ins in kernel/*_builtins.cc).
#include <asio/post.hpp>
#include <exception>
#include <utility>

#include "node/kernel/builtins.h"
#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

std::string function_key(std::string_view module, std::string_view function) {
  std::string key(module);
  key += ':';
  key += function;
  return key;
}

}  // namespace

void Runtime::gen_reply(const Pid& from, const Pid& to, const Term& tag, Term reply) {
  if (const Reference* alias = alias_of_tag(tag)) {
    send_alias(from, *alias, tuple(tag, std::move(reply)));
  } else {
    send(from, to, tuple(tag, std::move(reply)));
  }
}

void Runtime::net_kernel_message(Process& self, const Term& message) {
  auto call = gen_call_of(message);
  if (!call) return;
  const Tuple* request = tuple_of(*call->request, 2);
  if (request != nullptr && request->elements[0].is_atom("is_auth")) {
    gen_reply(self.pid(), *call->from, *call->tag, atom("yes"));
  }
}

void Runtime::spawn_request(const std::shared_ptr<dist::Connection>& from,
                            const std::vector<Term>& control, std::optional<Term> payload) {
  const Reference& req_id = control[1].as<Reference>();
  const Pid& requester = control[2].as<Pid>();
  // Replies go through route, in order with the spawned process's exit.
  const std::string& peer = from->peer().name;
  auto refuse = [&](std::string_view reason) {
    route(peer, tuple(op::SPAWN_REPLY, req_id, requester, int64_t{0}, atom(reason)), std::nullopt,
          nullptr, Connect::no);
  };
  const Tuple* mfa = tuple_of(control[4], 3);
  const std::vector<Term>* options = proper_list(control[5]);
  const std::vector<Term>* args = payload ? proper_list(*payload) : nullptr;
  if (mfa == nullptr || options == nullptr || args == nullptr || !mfa->elements[0].is<Atom>() ||
      !mfa->elements[1].is<Atom>()) {
    refuse("badarg");
    return;
  }
  // Only erpc's entry points run here: execute_call(Ref, M, F, A) for
  // erpc:call and rpc:call, execute_cast(M, F, A) for erpc:cast.
  const std::string& m = mfa->elements[0].as<Atom>().name;
  const std::string& f = mfa->elements[1].as<Atom>().name;
  const std::vector<Term>& a = *args;
  bool is_call = m == "erpc" && f == "execute_call" && a.size() == 4 && a[0].is<Reference>() &&
                 a[1].is<Atom>() && a[2].is<Atom>() && proper_list(a[3]) != nullptr;
  bool is_cast = m == "erpc" && f == "execute_cast" && a.size() == 3 && a[0].is<Atom>() &&
                 a[1].is<Atom>() && proper_list(a[2]) != nullptr;
  if (!is_call && !is_cast) {
    log(LogLevel::info, "refusing spawn request for " + m + ":" + f + " from " + from->peer().name);
    refuse("notsup");
    return;
  }
  bool link = false;
  bool monitor = false;
  for (const Term& option : *options) {
    if (option.is_atom("link")) link = true;
    if (option.is_atom("monitor")) monitor = true;
    if (const Tuple* t = tuple_of(option, 2); t != nullptr && t->elements[0].is_atom("monitor")) {
      monitor = true;
    }
  }
  auto spawned = new_process({});
  if (!spawned) {
    refuse("system_limit");
    return;
  }
  Ptr state = *spawned;
  state->mailbox.close();  // nothing reads it
  {
    std::lock_guard lock(state->mu);
    if (link) state->links[requester] = {};
    if (monitor) state->monitors_in[req_id] = MonitorIn{requester, state->pid};
  }
  int64_t flags = (link ? op::kSpawnReplyLinked : 0) | (monitor ? op::kSpawnReplyMonitored : 0);
  route(peer, tuple(op::SPAWN_REPLY, req_id, requester, flags, state->pid), std::nullopt, nullptr,
        Connect::no);

  size_t first = is_call ? 1 : 0;
  asio::post(io_, [this, state, is_call, ref = is_call ? a[0] : Term(),
                   module = a[first].as<Atom>(), function = a[first + 1].as<Atom>(),
                   call_args = *proper_list(a[first + 2])] {
    Invocation done = invoke(module, function, call_args);
    if (!is_call) {
      exit_process(state, atom("normal"));
      return;
    }
    // erpc:execute_call/4 exits with the outcome; the caller's monitor
    // (whose reference is the request id) carries it back as the DOWN reason.
    Term reason;
    switch (done.result.kind()) {
      case CallResult::Kind::value:
        reason = tuple(ref, atom("return"), std::move(done.result).term());
        break;
      case CallResult::Kind::thrown:
        reason = tuple(ref, atom("throw"), std::move(done.result).term());
        break;
      case CallResult::Kind::exited:
        reason = tuple(ref, atom("exit"), std::move(done.result).term());
        break;
      case CallResult::Kind::error:
        reason = tuple(ref, atom("error"), std::move(done.result).term(), std::move(done.stack));
        break;
    }
    exit_process(state, std::move(reason));
  });
}

void Runtime::register_function(std::string_view module, std::string_view function,
                                RpcFunction fn) {
  std::unique_lock lock(functions_mu_);
  functions_[function_key(module, function)] = std::move(fn);
}

Runtime::Invocation Runtime::invoke(const Atom& module, const Atom& function,
                                    const std::vector<Term>& args) {
  try {
    if (auto result = builtin(module, function, args)) return std::move(*result);
  } catch (const std::exception& e) {
    return {
        CallResult::error(tuple(atom("cpp_exception"), Term::binary(e.what()))),
        Term::list({tuple(module, function, static_cast<int64_t>(args.size()), Term::list({}))})};
  }
  RpcFunction fn;
  {
    std::shared_lock lock(functions_mu_);
    auto it = functions_.find(function_key(module.name, function.name));
    if (it != functions_.end()) fn = it->second;
  }
  if (!fn) {
    return {CallResult::error(atom("undef")),
            Term::list({tuple(module, function, Term::list(args), Term::list({}))})};
  }
  Term stack =
      Term::list({tuple(module, function, static_cast<int64_t>(args.size()), Term::list({}))});
  // The caller gets {cpp_exception, What} as an error; the node logs and
  // counts it like any user callback that throws.
  std::string what;
  try {
    return {fn(args), std::move(stack)};
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown";
  }
  callback_threw("the rpc function " + module.name + ":" + function.name, what);
  return {CallResult::error(tuple(atom("cpp_exception"), Term::binary(what))), std::move(stack)};
}

std::optional<Runtime::Invocation> Runtime::builtin(const Atom& module, const Atom& function,
                                                    const std::vector<Term>& args) {
  auto badarg = [&] {
    return Invocation{CallResult::error(atom("badarg")),
                      Term::list({tuple(module, function, Term::list(args), Term::list({}))})};
  };
  if (module.name == "erpc" && function.name == "execute_call" && args.size() == 3) {
    // rpc:call runs erpc:execute_call(M, F, A) through erpc:call; it
    // returns {return, Value} and lets exceptions through.
    const std::vector<Term>* inner = proper_list(args[2]);
    if (!args[0].is<Atom>() || !args[1].is<Atom>() || inner == nullptr) return badarg();
    Invocation done = invoke(args[0].as<Atom>(), args[1].as<Atom>(), *inner);
    if (done.result.kind() == CallResult::Kind::value) {
      done.result = CallResult::value(tuple(atom("return"), std::move(done.result).term()));
    }
    return done;
  }
  if (module.name != "erlang") return std::nullopt;
  auto result = kernel::process_builtin(*this, function.name, args);
  if (!result) result = kernel::system_builtin(*this, function.name, args);
  if (!result) return std::nullopt;
  if (result->kind() != CallResult::Kind::error) return Invocation{std::move(*result), Term()};
  Invocation failed = badarg();  // its stack, with the reason the built-in gave
  failed.result = std::move(*result);
  return failed;
}

}  // namespace beamlink::node
