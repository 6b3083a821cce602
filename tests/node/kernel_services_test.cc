// What a peer sees of the kernel services, driven by a scripted peer that
// sends the control messages OTP 25 sends: net_kernel's is_auth reply,
// erpc spawn requests, rex calls, and drops.
#include <future>

#include "beamlink/etf.h"
#include "dist/control_message.h"
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

class KernelServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node->register_function("calc", "add", [](const std::vector<Term>& args) -> CallResult {
      return Term(args.at(0).as<int64_t>() + args.at(1).as<int64_t>());
    });
    node->register_function("calc", "throws",
                            [](const std::vector<Term>&) { return CallResult::thrown(A("oops")); });
    node->register_function("calc", "exits",
                            [](const std::vector<Term>&) { return CallResult::exited(A("bye")); });
    node->register_function(
        "calc", "fails", [](const std::vector<Term>&) { return CallResult::error(A("badarith")); });
    node->register_function("calc", "cast_me", [this](const std::vector<Term>& args) {
      cast_seen.set_value(args.at(0));
      return CallResult(A("ok"));
    });
  }

  Term spawn_request(const Reference& req, Term mfa, Term args, Term options) {
    peer->inject(T(dist::SPAWN_REQUEST, req, caller, caller, std::move(mfa), std::move(options)),
                 std::move(args));
    return Term(req);
  }
  Term erpc_call(const Reference& req, const Reference& result_ref, std::string_view m,
                 std::string_view f, std::vector<Term> args) {
    return spawn_request(req, T(A("erpc"), A("execute_call"), 4),
                         Term::list({Term(result_ref), A(m), A(f), Term::list(std::move(args))}),
                         Term::list({A("monitor")}));
  }
  // The DOWN reason of the process a spawn request started.
  Term spawned_exit_reason(const Reference& req) {
    auto reply = peer->next_op(dist::SPAWN_REPLY);
    EXPECT_TRUE(reply);
    if (!reply) return Term();
    const auto& r = reply->control.as<Tuple>().elements;
    EXPECT_EQ(r[1], Term(req));
    EXPECT_EQ(r[2], Term(caller));
    EXPECT_EQ(r[3], Term(2));  // monitor set up
    EXPECT_TRUE(r[4].is<Pid>());
    auto down = peer->next_op(dist::PAYLOAD_MONITOR_P_EXIT);
    EXPECT_TRUE(down);
    if (!down) return Term();
    EXPECT_EQ(down->control, T(dist::PAYLOAD_MONITOR_P_EXIT, r[4], caller, req));
    return *down->payload;
  }

  FakeNetwork network;
  std::unique_ptr<Node> node = start_node(network, "us@host");
  std::shared_ptr<ScriptedPeer> peer = network.scripted_peer("erl@host", "us@host");
  Pid caller = peer->pid(90);
  Reference ref{Atom("erl@host"), 7, {1, 2, 3}};
  Reference res{Atom("erl@host"), 7, {4, 5, 6}};
  std::promise<Term> cast_seen;
};

TEST_F(KernelServicesTest, NetKernelAnswersIsAuthWithYes) {
  peer->inject(T(dist::REG_SEND, caller, A(""), A("net_kernel")),
               T(A("$gen_call"), T(caller, ref), T(A("is_auth"), A("erl@host"))));
  auto reply = peer->next();
  ASSERT_TRUE(reply);
  const auto& c = reply->control.as<Tuple>().elements;
  EXPECT_EQ(c[0], Term(dist::SEND_SENDER));
  EXPECT_EQ(c[1], Term(*node->whereis("net_kernel")));
  EXPECT_EQ(c[2], Term(caller));
  // {Ref, yes} exactly as erl encodes it.
  auto bytes = etf::encode(*reply->payload);
  ASSERT_TRUE(bytes);
  std::vector<uint8_t> expected = {131, 104, 2,  // {_, _}
                                   90,  0,   3,   119, 8,  'e', 'r', 'l', '@', 'h', 'o', 's',
                                   't', 0,   0,   0,   7,  // creation
                                   0,   0,   0,   1,   0,  0,   0,   2,   0,   0,   0,   3,  // ids
                                   119, 3,   'y', 'e', 's'};
  EXPECT_EQ(*bytes, expected);
}

TEST_F(KernelServicesTest, NetKernelRepliesThroughTheAliasOfAnAliasTag) {
  Term tag = Term::improper_list({A("alias")}, Term(ref));  // OTP 24+ gen:call
  peer->inject(T(dist::REG_SEND, caller, A(""), A("net_kernel")),
               T(A("$gen_call"), T(caller, tag), T(A("is_auth"), A("erl@host"))));
  auto reply = peer->next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->control, T(dist::ALIAS_SEND, *node->whereis("net_kernel"), ref));
  EXPECT_EQ(reply->payload, T(tag, A("yes")));
}

TEST_F(KernelServicesTest, ErpcCallReturnsTheValueAsDownReason) {
  erpc_call(ref, res, "calc", "add", {Term(1), Term(2)});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), 3));
}

TEST_F(KernelServicesTest, ErpcCallThrowExitAndError) {
  erpc_call(ref, res, "calc", "throws", {});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("throw"), A("oops")));
  erpc_call(ref, res, "calc", "exits", {});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("exit"), A("bye")));
  erpc_call(ref, res, "calc", "fails", {Term(1)});
  EXPECT_EQ(spawned_exit_reason(ref),
            Term::tuple({Term(res), A("error"), A("badarith"),
                         Term::list({T(A("calc"), A("fails"), 1, Term::list({}))})}));
}

TEST_F(KernelServicesTest, UnknownFunctionIsUndefWithTheArguments) {
  erpc_call(ref, res, "nomod", "nofun", {Term(7)});
  EXPECT_EQ(spawned_exit_reason(ref),
            Term::tuple(
                {Term(res), A("error"), A("undef"),
                 Term::list({T(A("nomod"), A("nofun"), Term::list({Term(7)}), Term::list({}))})}));
}

TEST_F(KernelServicesTest, RpcCallFormWrapsTheValueInReturn) {
  // rpc:call(N, calc, add, [1,2]) runs erpc:execute_call(calc, add, [1,2])
  // through erpc:call.
  erpc_call(ref, res, "erpc", "execute_call",
            {A("calc"), A("add"), Term::list({Term(1), Term(2)})});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), T(A("return"), 3)));
}

TEST_F(KernelServicesTest, BuiltinsNodeNodesAndWhereis) {
  erpc_call(ref, res, "erlang", "node", {});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), A("us@host")));
  erpc_call(ref, res, "erlang", "nodes", {});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), Term::list({A("erl@host")})));
  erpc_call(ref, res, "erlang", "nodes", {A("this")});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), Term::list({A("us@host")})));
  erpc_call(ref, res, "erlang", "whereis", {A("net_kernel")});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), *node->whereis("net_kernel")));
  erpc_call(ref, res, "erlang", "whereis", {A("nobody")});
  EXPECT_EQ(spawned_exit_reason(ref), T(res, A("return"), A("undefined")));
}

TEST_F(KernelServicesTest, ErpcCastRunsTheFunction) {
  spawn_request(ref, T(A("erpc"), A("execute_cast"), 3),
                Term::list({A("calc"), A("cast_me"), Term::list({A("hello")})}), Term::list({}));
  auto reply = peer->next_op(dist::SPAWN_REPLY);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->control.as<Tuple>().elements[3], Term(0));
  auto seen = cast_seen.get_future();
  ASSERT_EQ(seen.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(seen.get(), A("hello"));
}

TEST_F(KernelServicesTest, OtherSpawnRequestsAreRefusedCleanly) {
  spawn_request(ref, T(A("lists"), A("reverse"), 1), Term::list({Term::list({})}),
                Term::list({A("monitor")}));
  auto reply = peer->next_op(dist::SPAWN_REPLY);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->control, T(dist::SPAWN_REPLY, ref, caller, 0, A("notsup")));

  spawn_request(res, T(A("erpc"), A("execute_call"), 4), A("not_a_list"), Term::list({}));
  reply = peer->next_op(dist::SPAWN_REPLY);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->control, T(dist::SPAWN_REPLY, res, caller, 0, A("badarg")));
}

TEST_F(KernelServicesTest, RexAnswersRpcCalls) {
  peer->inject(T(dist::REG_SEND, caller, A(""), A("rex")),
               T(A("$gen_call"), T(caller, ref),
                 Term::tuple({A("call"), A("calc"), A("add"), Term::list({Term(2), Term(3)}),
                              Term(caller)})));
  auto reply = peer->next_op(dist::SEND_SENDER);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, T(ref, 5));
  peer->inject(T(dist::REG_SEND, caller, A(""), A("rex")),
               T(A("$gen_call"), T(caller, ref),
                 Term::tuple({A("call"), A("calc"), A("exits"), Term::list({}), Term(caller)})));
  reply = peer->next_op(dist::SEND_SENDER);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, T(ref, T(A("badrpc"), T(A("EXIT"), A("bye")))));
}

TEST_F(KernelServicesTest, MonitorOfNetKernelByNameAndUnknownNames) {
  peer->inject(T(dist::MONITOR_P, caller, A("net_kernel"), ref));
  peer->inject(T(dist::MONITOR_P, caller, A("no_such_name"), res));
  auto down = peer->next_op(dist::PAYLOAD_MONITOR_P_EXIT);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->control, T(dist::PAYLOAD_MONITOR_P_EXIT, A("no_such_name"), caller, res));
  EXPECT_EQ(down->payload, A("noproc"));
  peer->inject(T(dist::DEMONITOR_P, caller, A("net_kernel"), ref));
  network.flush();
}

TEST_F(KernelServicesTest, UnknownAndMalformedTrafficIsDroppedAndCounted) {
  peer->inject(T(dist::REG_SEND, caller, A(""), A("no_such_server")), A("sync"));
  peer->inject(T(99, A("what")));
  peer->inject(A("not_a_tuple"));
  peer->inject(T(dist::SEND, A(""), A("not_a_pid")), A("x"));
  peer->inject(T(dist::SEND, A(""), Pid{Atom("us@host"), 31000, 3, node->creation()}), A("x"));
  network.flush();
  EXPECT_TRUE(wait_until([&] { return node->stats().dropped_control == 3; }));
  EXPECT_EQ(node->stats().dropped_unknown_name, 1u);
  EXPECT_EQ(node->stats().dropped_unknown_pid, 1u);
  // Still serving.
  peer->inject(T(dist::REG_SEND, caller, A(""), A("net_kernel")),
               T(A("$gen_call"), T(caller, ref), T(A("is_auth"), A("erl@host"))));
  EXPECT_TRUE(peer->next_op(dist::SEND_SENDER).has_value());
}

TEST_F(KernelServicesTest, IncomingLinkAndExitFromThePeer) {
  auto p = node->spawn(trapping());
  peer->inject(T(dist::LINK, caller, p->pid()));
  peer->inject(T(dist::PAYLOAD_EXIT, caller, p->pid()), A("peer_died"));
  EXPECT_EQ(p->receive(2s), T(A("EXIT"), caller, A("peer_died")));
  // EXIT2 from the peer without a link.
  peer->inject(T(dist::PAYLOAD_EXIT2, caller, p->pid()), A("kill"));
  EXPECT_TRUE(wait_until([&] { return !p->alive(); }));
  EXPECT_EQ(p->exit_reason(), A("killed"));
}

TEST_F(KernelServicesTest, UnlinkIdIsAcknowledged) {
  auto p = node->spawn(trapping());
  peer->inject(T(dist::LINK, caller, p->pid()));
  peer->inject(T(dist::UNLINK_ID, 42, caller, p->pid()));
  auto ack = peer->next_op(dist::UNLINK_ID_ACK);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->control, T(dist::UNLINK_ID_ACK, 42, p->pid(), caller));
  peer->inject(T(dist::PAYLOAD_EXIT, caller, p->pid()), A("after"));  // no link: ignored
  EXPECT_FALSE(p->receive(50ms).has_value());
}

TEST_F(KernelServicesTest, OwnUnlinkSendsUnlinkIdAndWaitsForAck) {
  auto p = node->spawn(trapping());
  p->link(caller);
  EXPECT_TRUE(peer->next_op(dist::LINK).has_value());
  p->unlink(caller);
  auto unlink = peer->next_op(dist::UNLINK_ID);
  ASSERT_TRUE(unlink);
  const auto& u = unlink->control.as<Tuple>().elements;
  EXPECT_EQ(u[2], Term(p->pid()));
  EXPECT_EQ(u[3], Term(caller));
  // An exit arriving before the ack is ignored: the link is being removed.
  peer->inject(T(dist::PAYLOAD_EXIT, caller, p->pid()), A("crossed"));
  EXPECT_FALSE(p->receive(50ms).has_value());
}

TEST_F(KernelServicesTest, RemoteSendsUseSendSenderAndRegSend) {
  auto p = node->spawn();
  p->send(caller, A("hi"));
  auto sent = peer->next();
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->control, T(dist::SEND_SENDER, p->pid(), caller));
  EXPECT_EQ(sent->payload, A("hi"));
  p->send("shell", "erl@host", A("named"));
  sent = peer->next();
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->control, T(dist::REG_SEND, p->pid(), A(""), A("shell")));
  p->send_alias(ref, A("aliased"));
  sent = peer->next();
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->control, T(dist::ALIAS_SEND, p->pid(), ref));
  node->send(caller, A("anonymous"));
  sent = peer->next();
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->control, T(dist::SEND, A(""), caller));
  // The four, the pg scope's {discover, Pid} and global_name_server's
  // init_connect to the peer (both at nodeup).
  EXPECT_TRUE(wait_until([&] { return node->stats().messages_sent == 6u; }));
}

}  // namespace
}  // namespace beamlink::testing
