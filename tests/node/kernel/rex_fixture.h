// rex_fixture.h - a node on a FakeNetwork with a scripted OTP 25 peer that
// talks to its rex server, for the rex and built-in tests.
#pragma once

#include <future>
#include <string_view>
#include <vector>

#include "dist/control_message.h"
#include "node/node_test_support.h"

namespace beamlink::testing {

class RexFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    node->register_function("calc", "add", [](const std::vector<Term>& args) -> CallResult {
      return Term(args.at(0).as<int64_t>() + args.at(1).as<int64_t>());
    });
    node->register_function("calc", "throws",
                            [](const std::vector<Term>&) { return CallResult::thrown(A("oops")); });
    node->register_function(
        "calc", "fails", [](const std::vector<Term>&) { return CallResult::error(A("badarith")); });
    node->register_function("calc", "cast_me", [this](const std::vector<Term>& args) {
      cast_seen.set_value(args.at(0));
      return CallResult(A("ok"));
    });
  }

  // A message from the peer's `caller` to our rex.
  void to_rex(Term message) {
    peer->inject(T(dist::REG_SEND, caller, A(""), A("rex")), std::move(message));
  }
  // The next message sent to the peer with SEND_SENDER, whose payload
  // satisfies `match` (others are skipped); nullopt after 5 s.
  template <class F>
  std::optional<Term> reply_where(F match) {
    for (int i = 0; i < 100; ++i) {
      auto sent = peer->next_op(dist::SEND_SENDER);
      if (!sent) return std::nullopt;
      if (sent->payload && match(*sent->payload)) return sent->payload;
    }
    return std::nullopt;
  }
  // What {'$gen_call', {caller, Ref}, Request} to rex answers (the Reply of
  // {Ref, Reply}).
  std::optional<Term> gen_call(Term request) {
    Reference tag{Atom("erl@host"), 7, {next_ref++, 0, 9}};
    to_rex(T(A("$gen_call"), T(caller, tag), std::move(request)));
    auto reply = reply_where([&](const Term& p) {
      const auto* t = p.get_if<Tuple>();
      return t != nullptr && t->elements.size() == 2 && t->elements[0] == Term(tag);
    });
    if (!reply) return std::nullopt;
    return reply->as<Tuple>().elements[1];
  }
  // rpc:call(us, M, F, Args) through rex.
  std::optional<Term> call(std::string_view m, std::string_view f, std::vector<Term> args) {
    return gen_call(Term::tuple({A("call"), A(m), A(f), Term::list(std::move(args)), A("user")}));
  }
  // What {badrpc, {'EXIT', {badarg, Stack}}} looks like for erlang:F(Args).
  static Term badarg(std::string_view f, std::vector<Term> args) {
    return T(A("badrpc"),
             T(A("EXIT"),
               T(A("badarg"),
                 Term::list({T(A("erlang"), A(f), Term::list(std::move(args)), Term::list({}))}))));
  }

  FakeNetwork network;
  std::unique_ptr<Node> node = start_node(network, "us@host");
  std::shared_ptr<ScriptedPeer> peer = network.scripted_peer("erl@host", "us@host");
  Pid caller = peer->pid(90);
  uint32_t next_ref = 1;
  std::promise<Term> cast_seen;
};

}  // namespace beamlink::testing
