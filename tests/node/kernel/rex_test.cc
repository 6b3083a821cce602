// rex as OTP 25-27's rpc, ei_rpc and erl_call talk to it: every request
// form is answered in the shape its caller waits for, and nothing with a
// sender is left unanswered.
#include "node/kernel/rex_fixture.h"

namespace beamlink::testing {
namespace {

using RexTest = RexFixture;

Term list(std::vector<Term> items) {
  return Term::list(std::move(items));
}

TEST_F(RexTest, GenCallCallWithAndWithoutGroupLeaderAndBlockCall) {
  EXPECT_EQ(gen_call(Term::tuple({A("call"), A("calc"), A("add"), list({2, 3}), Term(caller)})),
            Term(5));
  EXPECT_EQ(gen_call(Term::tuple({A("call"), A("calc"), A("add"), list({2, 4})})), Term(6));
  // rpc:block_call and rpc:pinfo/2 of a remote pid.
  EXPECT_EQ(gen_call(Term::tuple({A("block_call"), A("calc"), A("add"), list({1, 1}), A("user")})),
            Term(2));
}

TEST_F(RexTest, GenCallOutcomesAreWhatRpcCallReturns) {
  EXPECT_EQ(call("calc", "throws", {}), A("oops"));
  EXPECT_EQ(call("calc", "fails", {}),
            T(A("badrpc"),
              T(A("EXIT"), T(A("badarith"), list({T(A("calc"), A("fails"), 0, list({}))})))));
  EXPECT_EQ(
      call("nomod", "nofun", {Term(1)}),
      T(A("badrpc"),
        T(A("EXIT"), T(A("undef"), list({T(A("nomod"), A("nofun"), list({Term(1)}), list({}))})))));
}

TEST_F(RexTest, MalformedAndUnknownGenCallsAreAnswered) {
  Term badarg = T(A("badrpc"), T(A("EXIT"), A("badarg")));
  EXPECT_EQ(gen_call(Term::tuple({A("call"), Term(1), A("add"), list({}), A("user")})), badarg);
  EXPECT_EQ(gen_call(Term::tuple({A("call"), A("calc"), A("add"), A("not_a_list"), A("user")})),
            badarg);
  EXPECT_EQ(gen_call(Term::tuple({A("call"), A("calc"), A("add"),
                                  Term::improper_list({Term(1)}, Term(2)), A("user")})),
            badarg);
  Term notsup = T(A("badrpc"), A("notsup"));
  EXPECT_EQ(gen_call(A("stop")), notsup);  // rex is not stopped by a peer
  EXPECT_EQ(gen_call(T(A("call"), A("calc"))), notsup);
  EXPECT_EQ(gen_call(Term(42)), notsup);
  // Still serving.
  EXPECT_EQ(call("calc", "add", {Term(20), Term(22)}), Term(42));
}

TEST_F(RexTest, GenCastRunsTheFunctionAndUnknownCastsAreCounted) {
  to_rex(T(A("$gen_cast"),
           Term::tuple({A("cast"), A("calc"), A("cast_me"), list({A("hello")}), A("user")})));
  auto seen = cast_seen.get_future();
  ASSERT_EQ(seen.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(seen.get(), A("hello"));
  to_rex(T(A("$gen_cast"), A("what")));
  to_rex(T(A("$gen_cast"), Term::tuple({A("cast"), Term(1), A("f"), list({}), A("user")})));
  EXPECT_TRUE(wait_until([&] { return node->stats().dropped_kernel_requests == 2; }));
}

TEST_F(RexTest, EiCallFormIsAnsweredWithRexReply) {
  // ei_rpc and erl_call -a: {Self, {call, M, F, A, user}} -> {rex, Reply}.
  to_rex(T(caller, Term::tuple({A("call"), A("calc"), A("add"), list({1, 2}), A("user")})));
  auto sent = peer->next_op(dist::SEND_SENDER);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->control, T(dist::SEND_SENDER, *node->whereis("rex"), caller));
  EXPECT_EQ(sent->payload, T(A("rex"), 3));
  // erl_call -fetch_stdout: nothing printed, so the reply comes alone.
  to_rex(T(caller, Term::tuple({A("call"), A("calc"), A("add"), list({2, 2}),
                                A("send_stdout_to_caller")})));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload, T(A("rex"), 4));
  to_rex(T(caller, Term::tuple({A("call"), A("calc"), A("add"), list({3, 3})})));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload, T(A("rex"), 6));
  to_rex(T(caller, Term::tuple({A("call"), A("calc"), Term(7), list({}), A("user")})));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), T(A("badrpc"), T(A("EXIT"), A("badarg")))));
  to_rex(T(caller, Term::tuple({A("call"), A("nomod"), A("f"), list({}), A("user")})));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"),
              T(A("badrpc"),
                T(A("EXIT"), T(A("undef"), list({T(A("nomod"), A("f"), list({}), list({}))}))))));
}

TEST_F(RexTest, SbcastDeliversAndAnswersWithTheNodeOrNonexistingName) {
  auto target = node->spawn({.register_as = "target"});
  ASSERT_TRUE(target);
  to_rex(T(caller, T(A("sbcast"), A("target"), A("hello"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload, T(A("rex"), A("us@host"), A("us@host")));
  EXPECT_EQ(target->receive(5s), A("hello"));  // delivered before the answer
  // By pid, as `Pid ! Msg` works too.
  to_rex(T(caller, T(A("sbcast"), target->pid(), A("by_pid"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload, T(A("rex"), A("us@host"), A("us@host")));
  EXPECT_EQ(target->receive(5s), A("by_pid"));
  to_rex(T(caller, T(A("sbcast"), A("nobody"), A("hello"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), A("us@host"), T(A("nonexisting_name"), A("nobody"))));
  to_rex(T(caller, T(A("sbcast"), Term(42), A("hello"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), A("us@host"), T(A("nonexisting_name"), 42)));
}

TEST_F(RexTest, SendWrapsTheSenderAndOnlyAnswersAMissingName) {
  auto target = node->spawn({.register_as = "target"});
  ASSERT_TRUE(target);
  to_rex(T(caller, T(A("send"), A("target"), A("hi"))));
  EXPECT_EQ(target->receive(5s), T(caller, A("hi")));
  to_rex(T(caller, T(A("send"), A("nobody"), A("hi"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), A("us@host"), T(A("nonexisting_name"), A("nobody"))));
}

TEST_F(RexTest, FeaturesRequestSaysErpc) {
  to_rex(T(caller, A("features_request")));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("features_reply"), A("us@host"), list({A("erpc")})));
}

TEST_F(RexTest, UnknownRequestsWithASenderAreToldNotsup) {
  to_rex(T(caller, A("what_is_this")));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), A("us@host"), T(A("badrpc"), A("notsup"))));
  to_rex(T(caller, T(A("sbcast"), A("too_few"))));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(A("rex"), A("us@host"), T(A("badrpc"), A("notsup"))));
  // sys:get_state(rex): {system, {From, Tag}, get_state}.
  Reference ref_for_system{Atom("erl@host"), 7, {77, 0, 1}};
  to_rex(T(A("system"), T(caller, Term(ref_for_system)), A("get_state")));
  EXPECT_EQ(peer->next_op(dist::SEND_SENDER)->payload,
            T(Term(ref_for_system), T(A("error"), A("notsup"))));
}

TEST_F(RexTest, MessagesWithNoSenderAreDroppedAndCounted) {
  to_rex(A("junk"));
  to_rex(T(A("rex"), A("us@host"), A("us@host")));  // a stray reply: never answered
  to_rex(T(A("$gen_call"), A("no_from"), A("stop")));
  to_rex(T(A("system"), A("no_from"), A("get_state")));
  EXPECT_TRUE(wait_until([&] { return node->stats().dropped_kernel_requests == 4; }));
  EXPECT_EQ(call("calc", "add", {Term(1), Term(1)}), Term(2));
}

}  // namespace
}  // namespace beamlink::testing
