// rex, the rpc server every OTP node registers, answering each request
// form OTP 25-27's rpc (and ei/erl_call) sends it:
//
//   {'$gen_call', {From, Tag}, {call, M, F, A, GL}}   rpc:call of OTP < 23,
//   {'$gen_call', {From, Tag}, {block_call, M, F, A, GL}} rpc:block_call and
//                         rpc:pinfo/2; {call, M, F, A} is taken as well
//       -> {Tag, Reply}, Reply as rpc:call returns it: the value, or
//          {badrpc, {'EXIT', Reason}};
//   {'$gen_cast', {cast, M, F, A, GL}}     rpc:cast of OTP < 23: run, no reply;
//   {From, {call, M, F, A, GL}}            ei_rpc / erl_call -a: -> {rex, Reply}
//                         (GL send_stdout_to_caller: C++ functions print
//                         nothing, so the reply comes alone);
//   {From, {sbcast, Name, Msg}}            rpc:sbcast: Name ! Msg, then
//       -> {rex, node(), node()} or {rex, node(), {nonexisting_name, Name}};
//   {From, {send, Name, Msg}}              rpc:server_call style: Name ! {From, Msg},
//       or {rex, node(), {nonexisting_name, Name}} if there is no Name;
//   {From, features_request}               rex's nodes observer on each nodeup
//       -> {features_reply, node(), [erpc]}.
//
// OTP's rex ignores what it does not know, leaving the caller waiting. Here
// every request that names a sender is answered: an unknown gen_call with
// {badrpc, notsup}, an unknown {From, Request} with {rex, node(), {badrpc,
// notsup}} (the shape rpc:multi_server_call and sbcast collect), a sys
// message ({system, From, _}) with {error, notsup}. A cast or a message with
// no sender is dropped and counted (NodeStats::dropped_kernel_requests).
// erpc:call/multicall/cast and OTP 25's rpc:call/multicall/cast go through
// spawn requests instead (kernel_services.cc).
#include <asio/post.hpp>
#include <exception>
#include <utility>

#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

Term notsup() {
  return tuple(atom("badrpc"), atom("notsup"));
}

}  // namespace

void Runtime::rex_message(Process& self, const Term& message) {
  const Pid rex = self.pid();
  if (auto call = gen_call_of(message)) {
    rex_gen_call(rex, *call->from, *call->tag, *call->request);
    return;
  }
  if (const Tuple* t = tuple_of(message, 2)) {
    if (t->elements[0].is_atom("$gen_cast")) {
      rex_cast(t->elements[1]);
      return;
    }
    if (const Pid* from = t->elements[0].get_if<Pid>()) {
      rex_info(rex, *from, t->elements[1]);
      return;
    }
  }
  if (const Tuple* t = tuple_of(message, 3); t != nullptr && t->elements[0].is_atom("system")) {
    // sys:get_state(rex) and the like: rex is no sys-aware process here.
    if (const Tuple* from = tuple_of(t->elements[1], 2);
        from != nullptr && from->elements[0].is<Pid>()) {
      gen_reply(rex, from->elements[0].as<Pid>(), from->elements[1],
                tuple(atom("error"), atom("notsup")));
      return;
    }
  }
  bump(counters_.dropped_kernel_requests);
}

void Runtime::rex_gen_call(const Pid& rex, const Pid& from, const Term& tag, const Term& request) {
  const Tuple* t = request.get_if<Tuple>();
  bool is_call = t != nullptr && (t->elements.size() == 4 || t->elements.size() == 5) &&
                 (t->elements[0].is_atom("call") || t->elements[0].is_atom("block_call"));
  if (!is_call) {
    gen_reply(rex, from, tag, notsup());  // stop, or a request rex does not know
    return;
  }
  auto answer = [this, rex, from, tag](Term reply) { gen_reply(rex, from, tag, std::move(reply)); };
  if (!rex_apply(request, answer)) {
    gen_reply(rex, from, tag, tuple(atom("badrpc"), tuple(atom("EXIT"), atom("badarg"))));
  }
}

void Runtime::rex_cast(const Term& request) {
  const Tuple* t = request.get_if<Tuple>();
  bool is_cast = t != nullptr && (t->elements.size() == 4 || t->elements.size() == 5) &&
                 t->elements[0].is_atom("cast");
  if (!is_cast || !rex_apply(request, [](Term) {})) bump(counters_.dropped_kernel_requests);
}

void Runtime::rex_info(const Pid& rex, const Pid& from, const Term& request) {
  auto to_caller = [&](Term reply) { send(rex, from, tuple(atom("rex"), node_atom_, reply)); };
  if (request.is_atom("features_request")) {
    send(rex, from, tuple(atom("features_reply"), node_atom_, Term::list({atom("erpc")})));
    return;
  }
  const Tuple* t = request.get_if<Tuple>();
  const std::string* kind = t != nullptr && !t->elements.empty() && t->elements[0].is<Atom>()
                                ? &t->elements[0].as<Atom>().name.str()
                                : nullptr;
  if (kind != nullptr && (*kind == "sbcast" || *kind == "send") && t->elements.size() == 3) {
    // Name ! Msg as Erlang does it: a registered name here, a pid or a
    // {Name, Node} pair; anything else (or an unregistered name) fails.
    const Term& name = t->elements[1];
    Term message = *kind == "send" ? tuple(from, t->elements[2]) : t->elements[2];
    bool sent = true;
    if (const Atom* local = name.get_if<Atom>()) {
      Ptr target = table_->whereis(local->name);
      sent = target != nullptr && push(target, std::move(message));
    } else if (const Pid* pid = name.get_if<Pid>()) {
      send(rex, *pid, std::move(message));
    } else if (const Tuple* remote = tuple_of(name, 2); remote != nullptr &&
                                                        remote->elements[0].is<Atom>() &&
                                                        remote->elements[1].is<Atom>()) {
      send_named(rex, remote->elements[0].as<Atom>().name, remote->elements[1].as<Atom>().name,
                 std::move(message));
    } else {
      sent = false;
    }
    if (!sent) {
      to_caller(tuple(atom("nonexisting_name"), name));
    } else if (*kind == "sbcast") {
      to_caller(node_atom_);
    }
    return;
  }
  if (kind != nullptr && *kind == "call" && (t->elements.size() == 5 || t->elements.size() == 4)) {
    // ei_rpc and erl_call: the reply is {rex, Reply}.
    auto answer = [this, rex, from](Term reply) {
      send(rex, from, tuple(atom("rex"), std::move(reply)));
    };
    if (!rex_apply(request, answer)) {
      answer(tuple(atom("badrpc"), tuple(atom("EXIT"), atom("badarg"))));
    }
    return;
  }
  to_caller(notsup());
}

bool Runtime::rex_apply(const Term& request, std::function<void(Term)> reply) {
  const Tuple& t = request.as<Tuple>();
  const Atom* module = t.elements[1].get_if<Atom>();
  const Atom* function = t.elements[2].get_if<Atom>();
  const std::vector<Term>* args = proper_list(t.elements[3]);
  if (module == nullptr || function == nullptr || args == nullptr) return false;
  // On a worker, so one slow function does not hold up rex.
  asio::post(
      io_, [this, reply = std::move(reply), module = *module, function = *function, args = *args] {
        Term answer;
        try {
          answer = rpc_reply(invoke(module, function, args));
        } catch (const std::exception& e) {
          answer = tuple(atom("badrpc"),
                         tuple(atom("EXIT"), tuple(atom("cpp_exception"), Term::binary(e.what()))));
        }
        try {
          reply(std::move(answer));
        } catch (const std::exception& e) {
          log(LogLevel::error, std::string("rex: reply failed: ") + e.what());
        }
      });
  return true;
}

Term Runtime::rpc_reply(Invocation done) {
  // What rpc:call returns: the value (a throw's value too), or
  // {badrpc, {'EXIT', Reason}} for an exit and {badrpc, {'EXIT', {Reason,
  // Stack}}} for an error.
  switch (done.result.kind()) {
    case CallResult::Kind::value:
    case CallResult::Kind::thrown:
      return std::move(done.result).term();
    case CallResult::Kind::exited:
      return tuple(atom("badrpc"), tuple(atom("EXIT"), std::move(done.result).term()));
    case CallResult::Kind::error:
      break;
  }
  return tuple(atom("badrpc"),
               tuple(atom("EXIT"), tuple(std::move(done.result).term(), std::move(done.stack))));
}

}  // namespace beamlink::node
