#include "integration/support/erl_peer.h"

#include "beamlink/term_text.h"
#include "integration/support/test_env.h"

namespace beamlink::testing {

namespace {

// Answers {eval, From, Ref, Source, Arg} with {Ref, {ok, Value}} or
// {Ref, {Class, Reason}}; anything else is ignored.
constexpr const char* kErlangAgent = R"erl(
register(agent, self()),
Loop = fun Loop() ->
  receive
    {eval, From, Ref, Src, Arg} ->
      R = try
            {ok, Toks, _} = erl_scan:string(Src ++ "."),
            {ok, Exprs} = erl_parse:parse_exprs(Toks),
            B = erl_eval:add_binding('Me', From, erl_eval:add_binding('Arg', Arg, erl_eval:new_bindings())),
            {value, V, _} = erl_eval:exprs(Exprs, B),
            {ok, V}
          catch C:E -> {C, E} end,
      From ! {Ref, R},
      Loop();
    _ -> Loop()
  end
end,
Loop().
)erl";

constexpr const char* kElixirAgent = R"ex(
Process.register(self(), :agent)
defmodule BeamlinkTestAgent do
  def loop do
    receive do
      {:eval, from, ref, src, arg} ->
        r =
          try do
            {v, _} = Code.eval_string(List.to_string(src), arg: arg, me: from)
            {:ok, v}
          catch
            c, e -> {c, e}
          end
        send(from, {ref, r})
        loop()
      _ ->
        loop()
    end
  end
end
BeamlinkTestAgent.loop()
)ex";

}  // namespace

Result<std::unique_ptr<Node>> start_loopback_node(const std::string& alive,
                                                  const std::string& cookie, uint16_t epmd_port) {
  NodeOptions options;
  options.name = alive + "@127.0.0.1";
  options.cookie = cookie;
  options.listen_address = "127.0.0.1";
  options.epmd_port = epmd_port;
  return Node::start(std::move(options));
}

std::expected<ErlPeer, std::string> ErlPeer::start(const ErlPeerOptions& options, Node& probe) {
  std::string name = options.alive + "@127.0.0.1";
  std::vector<std::string> erl_flags = {"-kernel", "inet_dist_use_interface", "{127,0,0,1}"};
  if (options.hidden) erl_flags.push_back("-hidden");
  erl_flags.insert(erl_flags.end(), options.erl_args.begin(), options.erl_args.end());
  std::vector<std::string> argv;
  if (options.elixir) {
    std::string joined;
    for (const std::string& f : erl_flags) joined += (joined.empty() ? "" : " ") + f;
    argv = {"elixir", "--name", name, "--cookie",  options.cookie,
            "--erl",  joined,   "-e", kElixirAgent};
  } else {
    argv = {"erl", "-name", name, "-setcookie", options.cookie, "-noshell", "-noinput"};
    argv.insert(argv.end(), erl_flags.begin(), erl_flags.end());
    argv.insert(argv.end(), {"-eval", kErlangAgent});
  }
  auto child = ChildProcess::spawn(argv, {{"ERL_EPMD_PORT", std::to_string(options.epmd_port)}});
  if (!child) {
    return std::unexpected("cannot start " + argv[0] + " (is it installed?): " + child.error());
  }
  ErlPeer peer(std::make_unique<ChildProcess>(std::move(*child)), name, options.elixir);
  bool up = eventually(
      [&] {
        if (!peer.process_->running()) return true;  // fails below with its output
        return peer
            .eval(probe, options.elixir ? ":ok" : "ok", Term(), std::chrono::milliseconds(300))
            .has_value();
      },
      options.start_timeout);
  if (!up || !peer.process_->running()) {
    return std::unexpected(name + " did not answer: " + peer.process_->output());
  }
  return peer;
}

Result<Term> ErlPeer::eval(Node& from, const std::string& source, Term arg,
                           std::chrono::milliseconds timeout) {
  auto self = from.spawn();
  if (!self) return std::unexpected(self.error());
  Reference ref = from.make_ref();
  self->send(
      "agent", name_,
      Term::tuple({Term::atom("eval"), self->pid(), ref, Term::string(source), std::move(arg)}));
  Term tag(ref);
  auto reply = self->receive_if(
      [&](const Term& m) {
        const Tuple* t = m.get_if<Tuple>();
        return t != nullptr && t->elements.size() == 2 && t->elements[0] == tag;
      },
      timeout);
  if (!reply) return fail(Errc::timeout, "no answer from the agent on " + name_ + " to: " + source);
  const Term& outcome = reply->as<Tuple>().elements[1];
  const Tuple* o = outcome.get_if<Tuple>();
  if (o == nullptr || o->elements.size() != 2) {
    return fail(Errc::refused, source + ": " + format_term(outcome));
  }
  if (!o->elements[0].is_atom("ok"))
    return fail(Errc::refused, source + ": " + format_term(outcome));
  return o->elements[1];
}

}  // namespace beamlink::testing
