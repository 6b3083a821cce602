// The kernel services a peer expects of a node: net_kernel (is_auth, so
// net_adm:ping answers pong), rex (rpc:call's server), spawn requests for
// erpc calls and casts, and the table of C++ functions they run.
#include <asio/post.hpp>
#include <exception>
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

const std::vector<Term>* proper_list(const Term& term) {
  const auto* list = term.get_if<List>();
  return list != nullptr && list->proper() ? &list->elements : nullptr;
}

std::string function_key(std::string_view module, std::string_view function) {
  std::string key(module);
  key += ':';
  key += function;
  return key;
}

// {gen_call, {From, Tag}, Request} pieces, or nullptr.
struct GenCall {
  const Pid* from = nullptr;
  const Term* tag = nullptr;
  const Term* request = nullptr;
};
std::optional<GenCall> gen_call_of(const Term& message) {
  const Tuple* call = tuple_of(message, 3);
  if (call == nullptr || !call->elements[0].is_atom("$gen_call")) return std::nullopt;
  const Tuple* from = tuple_of(call->elements[1], 2);
  if (from == nullptr || !from->elements[0].is<Pid>()) return std::nullopt;
  return GenCall{&from->elements[0].as<Pid>(), &from->elements[1], &call->elements[2]};
}

Term list_of_atoms(const std::vector<std::string>& names) {
  std::vector<Term> items;
  items.reserve(names.size());
  for (const std::string& n : names) items.push_back(atom(n));
  return Term::list(std::move(items));
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

void Runtime::rex_message(Process& self, const Term& message) {
  // {'$gen_call', {From, Tag}, {call, M, F, A, GroupLeader}}: run it on a
  // worker so one slow function does not hold up the others, and answer
  // as rpc:call expects: the value, or {badrpc, {'EXIT', ...}}.
  auto call = gen_call_of(message);
  const Tuple* request = call ? tuple_of(*call->request, 5) : nullptr;
  if (request == nullptr || !request->elements[0].is_atom("call")) return;
  const Atom* module = request->elements[1].get_if<Atom>();
  const Atom* function = request->elements[2].get_if<Atom>();
  const std::vector<Term>* args = proper_list(request->elements[3]);
  Pid rex = self.pid();
  Pid from = *call->from;
  Term tag = *call->tag;
  if (module == nullptr || function == nullptr || args == nullptr) {
    gen_reply(rex, from, tag, tuple(atom("badrpc"), tuple(atom("EXIT"), atom("badarg"))));
    return;
  }
  asio::post(io_, [this, rex, from, tag, module = *module, function = *function, args = *args] {
    Invocation done = invoke(module, function, args);
    Term reply;
    switch (done.result.kind()) {
      case CallResult::Kind::value:
      case CallResult::Kind::thrown:
        reply = std::move(done.result).term();
        break;
      case CallResult::Kind::exited:
        reply = tuple(atom("badrpc"), tuple(atom("EXIT"), std::move(done.result).term()));
        break;
      case CallResult::Kind::error:
        reply =
            tuple(atom("badrpc"),
                  tuple(atom("EXIT"), tuple(std::move(done.result).term(), std::move(done.stack))));
        break;
    }
    gen_reply(rex, from, tag, std::move(reply));
  });
}

void Runtime::spawn_request(const std::shared_ptr<dist::Connection>& from,
                            const std::vector<Term>& control, std::optional<Term> payload) {
  const Reference& req_id = control[1].as<Reference>();
  const Pid& requester = control[2].as<Pid>();
  auto refuse = [&](std::string_view reason) {
    from->send(tuple(op::SPAWN_REPLY, req_id, requester, int64_t{0}, atom(reason)), nullptr);
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
  from->send(tuple(op::SPAWN_REPLY, req_id, requester, flags, state->pid), nullptr);

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
  if (auto result = builtin(module, function, args)) return std::move(*result);
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
  try {
    return {fn(args), std::move(stack)};
  } catch (const std::exception& e) {
    return {CallResult::error(tuple(atom("cpp_exception"), Term::binary(e.what()))),
            std::move(stack)};
  } catch (...) {
    return {CallResult::error(tuple(atom("cpp_exception"), Term::binary("unknown"))),
            std::move(stack)};
  }
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
  if (function.name == "node" && args.empty()) {
    return Invocation{CallResult::value(atom(name_)), Term()};
  }
  if (function.name == "nodes" && args.size() <= 1) {
    std::vector<Term> kinds = args.empty()           ? std::vector<Term>{atom("visible")}
                              : args[0].is<Atom>()   ? std::vector<Term>{args[0]}
                              : proper_list(args[0]) ? *proper_list(args[0])
                                                     : std::vector<Term>{};
    if (kinds.empty()) return badarg();
    std::vector<std::string> names;
    for (const Term& kind : kinds) {
      std::vector<std::string> some;
      if (kind.is_atom("visible")) {
        some = nodes(NodeKind::visible);
      } else if (kind.is_atom("hidden")) {
        some = nodes(NodeKind::hidden);
      } else if (kind.is_atom("connected") || kind.is_atom("known")) {
        some = nodes(NodeKind::all);
        if (kind.is_atom("known")) some.push_back(name_);
      } else if (kind.is_atom("this")) {
        some = {name_};
      } else {
        return badarg();
      }
      for (std::string& n : some) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
      }
    }
    return Invocation{CallResult::value(list_of_atoms(names)), Term()};
  }
  if (function.name == "whereis" && args.size() == 1) {
    const Atom* name = args[0].get_if<Atom>();
    if (name == nullptr) return badarg();
    Ptr p = table_->whereis(name->name);
    return Invocation{CallResult::value(p ? Term(p->pid) : atom("undefined")), Term()};
  }
  return std::nullopt;
}

}  // namespace beamlink::node
