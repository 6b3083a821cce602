// The node runtime against real erl (OTP 25) and elixir nodes: ping both
// ways, hidden nodes, REG_SEND/SEND with every term type checked equal on
// the receiving side, 10 MiB binaries, links and monitors both ways with
// exit propagation, nodedown on kill -9, rpc both ways and elixir's
// Node.connect/:rpc.call.
//
// Every test runs beamlink's EPMD in-process on 127.0.0.1 with an
// ephemeral port, keeps every distribution port on loopback, picks its own
// names, stops by pid only what it started and bounds every wait. A
// missing erl or elixir fails the test; it never skips.
#include <gtest/gtest.h>
#include <signal.h>
#include <zlib.h>

#include <mutex>
#include <string>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "epmd/loopback_epmd.h"
#include "integration/support/child_process.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;
using testing::unique_node_name;

Term A(std::string_view name) {
  return Term::atom(name);
}

// The erl side: a registered `agent` that evaluates Erlang expressions for
// the test with `Arg` (a term the test sends) and `Me` (the test's pid)
// bound, and answers {Ref, {ok, Value}} or {Ref, {Class, Reason}}.
constexpr const char* kAgent = R"erl(
register(agent, self()),
Loop = fun Loop() ->
  receive
    {eval, From, Ref, Src, Arg} ->
      R = try
            {ok, Toks, _} = erl_scan:string(Src),
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

class NodeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
    cookie_ = "node-interop-" + unique_node_name("c");
    node_ = start_node(unique_node_name("us"));
    ASSERT_TRUE(node_);
    node_->register_function("calc", "add", [](const std::vector<Term>& args) -> CallResult {
      if (args.size() != 2 || !args[0].is<int64_t>() || !args[1].is<int64_t>()) {
        return CallResult::error(A("badarg"));
      }
      return Term(args[0].as<int64_t>() + args[1].as<int64_t>());
    });
    node_->register_function(
        "calc", "throws", [](const std::vector<Term>&) { return CallResult::thrown(A("oops")); });
    node_->register_function("calc", "exits",
                             [](const std::vector<Term>&) { return CallResult::exited(A("bye")); });
    node_->register_function(
        "calc", "fails", [](const std::vector<Term>&) { return CallResult::error(A("badarith")); });
    erl_name_ = unique_node_name("erl") + "@127.0.0.1";
  }

  std::unique_ptr<Node> start_node(const std::string& alive, bool hidden = false) {
    NodeOptions options;
    options.name = alive + "@127.0.0.1";
    options.cookie = cookie_;
    options.hidden = hidden;
    options.listen_address = "127.0.0.1";
    options.epmd_port = epmd_->port();
    auto node = Node::start(std::move(options));
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  testing::EnvOverrides env() const { return {{"ERL_EPMD_PORT", std::to_string(epmd_->port())}}; }

  bool registered(const std::string& full_name) {
    std::string alive = full_name.substr(0, full_name.find('@'));
    for (const auto& entry : epmd_->registered()) {
      if (entry.node.name == alive) return true;
    }
    return false;
  }

  // A real erl node running the agent.
  ChildProcess start_erl(const std::string& name) {
    auto erl = ChildProcess::spawn(
        {"erl", "-name", name, "-setcookie", cookie_, "-kernel", "inet_dist_use_interface",
         "{127,0,0,1}", "-noshell", "-noinput", "-eval", kAgent},
        env());
    EXPECT_TRUE(erl) << "cannot start erl (is erlang-base installed?): " << erl.error();
    EXPECT_TRUE(eventually([&] { return registered(name); }, 20s)) << erl->output();
    // EPMD knows the node before its -eval has registered `agent`.
    auto probe = node_->spawn();
    EXPECT_TRUE(
        eventually([&] { return eval(*probe, "ok", Term(), 300ms, name).has_value(); }, 20s))
        << erl->output();
    return std::move(*erl);
  }

  // Evaluates `src` on the agent of `erl` with Arg = arg; the value.
  Result<Term> eval(Process& self, const std::string& src, Term arg = Term(),
                    std::chrono::milliseconds timeout = 20s, const std::string& erl = "") {
    Reference ref = node_->make_ref();
    self.send("agent", erl.empty() ? erl_name_ : erl,
              Term::tuple({A("eval"), self.pid(), ref, Term::string(src + "."), std::move(arg)}));
    Term tag(ref);
    auto reply = self.receive_if(
        [&](const Term& m) {
          const Tuple* t = m.get_if<Tuple>();
          return t != nullptr && t->elements.size() == 2 && t->elements[0] == tag;
        },
        timeout);
    if (!reply) return fail(Errc::timeout, "no answer from the agent to: " + src);
    const Term& outcome = reply->as<Tuple>().elements[1];
    const Tuple& o = outcome.as<Tuple>();
    if (!o.elements[0].is_atom("ok")) return fail(Errc::refused, src + ": " + format_term(outcome));
    return o.elements[1];
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
  std::unique_ptr<Node> node_;
  std::string erl_name_;
};

TEST_F(NodeInteropTest, PingBothWaysAndVisibility) {
  ChildProcess erl = start_erl(erl_name_);
  EXPECT_TRUE(node_->ping(erl_name_, 10s));
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  auto pong = eval(*self, "net_adm:ping('" + node_->name() + "')");
  ASSERT_TRUE(pong) << pong.error().to_string();
  EXPECT_EQ(*pong, A("pong"));
  auto listed = eval(*self, "lists:member('" + node_->name() + "', nodes())");
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, A("true"));
  EXPECT_EQ(node_->nodes(), std::vector<std::string>{erl_name_});

  auto hidden = start_node(unique_node_name("hid"), /*hidden=*/true);
  ASSERT_TRUE(hidden);
  EXPECT_TRUE(hidden->ping(erl_name_, 10s));
  auto in_hidden = eval(*self, "{lists:member('" + hidden->name() + "', nodes(hidden)), " +
                                   "lists:member('" + hidden->name() + "', nodes())}");
  ASSERT_TRUE(in_hidden);
  EXPECT_EQ(*in_hidden, Term::tuple({A("true"), A("false")}));
  EXPECT_EQ(hidden->nodes(NodeKind::hidden), std::vector<std::string>{erl_name_});
  erl.stop(SIGKILL);
}

std::vector<Term> corpus() {
  BigInt big = BigInt::parse_decimal("123456789012345678901234567890")->as<BigInt>();
  BigInt negative_big = BigInt::parse_decimal("-98765432109876543210987")->as<BigInt>();
  return {
      Term(0),
      Term(255),
      Term(-1),
      Term(int64_t{1} << 40),
      Term(std::numeric_limits<int64_t>::min()),
      Term(big),
      Term(negative_big),
      Term(3.25),
      Term(-0.1),
      Term(1.0e100),
      A("ok"),
      A("with space"),
      A("h\xc3\xa9llo"),
      A("\xe6\x97\xa5\xe6\x9c\xac"),
      Term::binary("bytes"),
      Term::binary(""),
      Term(BitString{Bytes::copy(std::string_view("\xa0", 1)), 3}),
      Term::string("hello"),
      Term::string("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
      Term::list({}),
      Term::improper_list({Term(1), Term(2)}, A("tail")),
      Term::tuple({}),
      Term::tuple({A("nested"), Term::tuple({Term(1), Term::list({Term(2.5)})})}),
      Term::map({}),
      Term::map(
          {{A("k"), A("v")}, {Term(1), Term::binary("one")}, {Term::string("s"), Term::map({})}}),
      Term(ExportFun{Atom("lists"), Atom("reverse"), 1}),
  };
}

TEST_F(NodeInteropTest, EveryTermTypeBothWays) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  for (const Term& term : corpus()) {
    std::string text = format_term(term);
    // Ours -> erl (REG_SEND to agent): equal to the same literal parsed there.
    auto same = eval(*self, "Arg =:= (" + text + ")", term);
    ASSERT_TRUE(same) << same.error().to_string();
    EXPECT_EQ(*same, A("true")) << text;
    // erl -> ours (SEND): the literal evaluated there equals ours.
    auto sent = eval(*self, "Me ! {back, " + text + "}, ok");
    ASSERT_TRUE(sent) << sent.error().to_string();
    auto back = self->receive(10s);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->as<Tuple>().elements[1], term)
        << text << " came back as " << format_term(*back);
  }
  // Pids and references both ways: ours echo unchanged, erl's arrive whole.
  Reference ref = node_->make_ref();
  auto echoed = eval(*self, "Me ! {back, {Arg, self(), make_ref()}}, ok",
                     Term::tuple({Term(self->pid()), Term(ref)}));
  ASSERT_TRUE(echoed);
  auto back = self->receive(10s);
  ASSERT_TRUE(back);
  const Tuple& t = back->as<Tuple>().elements[1].as<Tuple>();
  EXPECT_EQ(t.elements[0], Term::tuple({Term(self->pid()), Term(ref)}));
  EXPECT_EQ(t.elements[1].as<Pid>().node.name, erl_name_);
  EXPECT_EQ(t.elements[2].as<Reference>().node.name, erl_name_);
  EXPECT_EQ(node_->stats().dropped_unknown_pid, 0u);
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, TenMebibyteBinaryBothWays) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  std::vector<uint8_t> data(10u << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 251);
  uLong crc = crc32(0, data.data(), static_cast<uInt>(data.size()));
  auto checked = eval(*self, "{byte_size(Arg), erlang:crc32(Arg)}", Term::binary(data), 60s);
  ASSERT_TRUE(checked) << checked.error().to_string();
  EXPECT_EQ(*checked, Term::tuple({Term(uint64_t{data.size()}), Term(uint64_t{crc})}));

  auto sent = eval(*self, "Me ! {big, binary:copy(<<\"0123456789abcdef\">>, 655360)}, ok");
  ASSERT_TRUE(sent);
  auto big = self->receive(60s);
  ASSERT_TRUE(big);
  const Bytes& bytes = big->as<Tuple>().elements[1].as<Binary>().bytes;
  ASSERT_EQ(bytes.size(), 10u << 20);
  EXPECT_EQ(bytes.view().substr(0, 16), "0123456789abcdef");
  EXPECT_EQ(bytes.view().substr(bytes.size() - 16), "0123456789abcdef");
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, LinksBothWays) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  auto trapper = node_->spawn({.trap_exit = true, .register_as = ""});
  ASSERT_TRUE(self && trapper);
  // We link to an erl process that then exits: {'EXIT', Pid, bye}.
  auto erl_pid = eval(*self, "spawn(fun() -> receive stop -> exit(bye) end end)");
  ASSERT_TRUE(erl_pid) << erl_pid.error().to_string();
  trapper->link(erl_pid->as<Pid>());
  ASSERT_TRUE(eval(*self, "timer:sleep(100), Arg ! stop, ok", *erl_pid));
  EXPECT_EQ(trapper->receive(10s), Term::tuple({A("EXIT"), *erl_pid, A("bye")}));

  // An erl process links to ours; our exit reaches it.
  auto doomed = node_->spawn();
  ASSERT_TRUE(doomed);
  auto watcher = eval(*self,
                      "Report = Me, spawn(fun() -> process_flag(trap_exit, true), link(Arg), "
                      "Report ! linked, receive {'EXIT', Arg, R} -> Report ! {erl_saw, R} end end)",
                      Term(doomed->pid()));
  ASSERT_TRUE(watcher);
  EXPECT_EQ(self->receive(10s), A("linked"));
  doomed->exit(A("cpp_bye"));
  EXPECT_EQ(self->receive(10s), Term::tuple({A("erl_saw"), A("cpp_bye")}));

  // A non-trapping process of ours dies with an erl process it is linked to.
  auto victim = node_->spawn();
  auto erl_crasher = eval(*self, "spawn(fun() -> receive go -> exit(crashed) end end)");
  ASSERT_TRUE(erl_crasher);
  victim->link(erl_crasher->as<Pid>());
  ASSERT_TRUE(eval(*self, "timer:sleep(100), Arg ! go, ok", *erl_crasher));
  EXPECT_TRUE(eventually([&] { return !victim->alive(); }, 10s));
  EXPECT_EQ(victim->exit_reason(), A("crashed"));
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, MonitorsBothWays) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  auto erl_pid = eval(*self, "spawn(fun() -> receive stop -> exit(finished) end end)");
  ASSERT_TRUE(erl_pid);
  Reference by_pid = self->monitor(erl_pid->as<Pid>());
  Reference by_name = self->monitor("agent", erl_name_);
  Reference none = self->monitor("nobody_here", erl_name_);
  auto noproc = self->receive(10s);
  EXPECT_EQ(noproc, Term::tuple({A("DOWN"), none, A("process"),
                                 Term::tuple({A("nobody_here"), A(erl_name_)}), A("noproc")}));
  self->send(erl_pid->as<Pid>(), A("stop"));
  EXPECT_EQ(self->receive(10s),
            Term::tuple({A("DOWN"), by_pid, A("process"), *erl_pid, A("finished")}));
  self->demonitor(by_name);

  // erl monitors ours, by pid and by registered name.
  auto target = node_->spawn({.trap_exit = false, .register_as = "watched"});
  ASSERT_TRUE(target);
  auto spawned =
      eval(*self,
           "Report = Me, spawn(fun() -> R1 = monitor(process, Arg), "
           "R2 = monitor(process, {watched, '" +
               node_->name() +
               "'}), Report ! monitoring, "
               "receive {'DOWN', R1, process, _, A} -> receive {'DOWN', R2, process, O, B} -> "
               "Report ! {erl_down, A, O, B} end end end)",
           Term(target->pid()));
  ASSERT_TRUE(spawned);
  EXPECT_EQ(self->receive(10s), A("monitoring"));
  target->exit(A("cpp_done"));
  EXPECT_EQ(self->receive(10s),
            Term::tuple({A("erl_down"), A("cpp_done"),
                         Term::tuple({A("watched"), A(node_->name())}), A("cpp_done")}));
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, NodedownOnKillNineOfErl) {
  ChildProcess erl = start_erl(erl_name_);
  std::mutex mu;
  std::vector<NodeEvent> events;
  node_->subscribe_node_events([&](const NodeEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  auto self = node_->spawn();
  auto linked = node_->spawn({.trap_exit = true, .register_as = ""});
  ASSERT_TRUE(self && linked);
  auto erl_pid = eval(*self, "self()");
  ASSERT_TRUE(erl_pid);
  Reference ref = self->monitor(erl_pid->as<Pid>());
  linked->link(erl_pid->as<Pid>());
  ASSERT_TRUE(eval(*self, "ok"));  // LINK and MONITOR_P delivered before the kill
  erl.stop(SIGKILL);
  EXPECT_EQ(self->receive(15s),
            Term::tuple({A("DOWN"), ref, A("process"), *erl_pid, A("noconnection")}));
  EXPECT_EQ(linked->receive(15s), Term::tuple({A("EXIT"), *erl_pid, A("noconnection")}));
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return !events.empty() && events.back().kind == NodeEvent::Kind::down;
      },
      15s));
  EXPECT_TRUE(node_->nodes().empty());
}

TEST_F(NodeInteropTest, ErlSeesNodedownWhenABeamlinkNodeDies) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  // A second beamlink node in a child process (the CLI's `node` command).
  std::string other = unique_node_name("child") + "@127.0.0.1";
  auto child = ChildProcess::spawn({BEAMLINK_CLI_PATH, "node", "--name", other, "--cookie", cookie_,
                                    "--listen-address", "127.0.0.1"},
                                   env());
  ASSERT_TRUE(child) << child.error();
  ASSERT_TRUE(eventually([&] { return registered(other); }, 10s)) << child->output();
  // A watcher process on erl (the agent's loop would discard the nodedown).
  auto watcher = eval(*self,
                      "Report = Me, spawn(fun() -> "
                      "net_kernel:monitor_nodes(true, [nodedown_reason, {node_type, all}]), "
                      "Report ! {ping, net_adm:ping('" +
                          other +
                          "')}, "
                          "receive {nodedown, '" +
                          other + "', Info} -> Report ! {down, Info} end end)");
  ASSERT_TRUE(watcher) << watcher.error().to_string();
  EXPECT_EQ(self->receive(10s), Term::tuple({A("ping"), A("pong")}));
  child->stop(SIGKILL);
  auto down = self->receive(15s);
  ASSERT_TRUE(down) << "erl saw no nodedown";
  EXPECT_EQ(down->as<Tuple>().elements[0], A("down")) << format_term(*down);
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, RpcBothWays) {
  ChildProcess erl = start_erl(erl_name_);
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  std::string us = "'" + node_->name() + "'";
  auto add = eval(*self, "rpc:call(" + us + ", calc, add, [1, 2])");
  ASSERT_TRUE(add) << add.error().to_string();
  EXPECT_EQ(*add, Term(3));
  auto erpc_add = eval(*self, "erpc:call(" + us + ", calc, add, [40, 2])");
  ASSERT_TRUE(erpc_add);
  EXPECT_EQ(*erpc_add, Term(42));
  auto variants = eval(*self, "[try erpc:call(" + us +
                                  ", calc, F, []) catch C:E -> {C, E} end "
                                  "|| F <- [throws, exits, fails, nofun]]");
  ASSERT_TRUE(variants) << variants.error().to_string();
  EXPECT_EQ(format_term(*variants),
            "[{throw,oops},{exit,{exception,bye}},"
            "{error,{exception,badarith,[{calc,fails,0,[]}]}},"
            "{error,{exception,undef,[{calc,nofun,[],[]}]}}]");
  auto rpc_error = eval(*self, "rpc:call(" + us + ", calc, fails, [])");
  ASSERT_TRUE(rpc_error);
  EXPECT_EQ(rpc_error->as<Tuple>().elements[0], A("badrpc")) << format_term(*rpc_error);
  auto builtin = eval(*self, "{rpc:call(" + us + ", erlang, node, []), erpc:call(" + us +
                                 ", erlang, whereis, [net_kernel]) =/= undefined}");
  ASSERT_TRUE(builtin);
  EXPECT_EQ(*builtin, Term::tuple({A(node_->name()), A("true")}));

  auto reversed =
      node_->rpc(erl_name_, "lists", "reverse", {Term::list({Term(1), Term(2), Term(3)})}, 10s);
  ASSERT_TRUE(reversed) << reversed.error().to_string();
  EXPECT_EQ(*reversed, Term::list({Term(3), Term(2), Term(1)}));
  auto bad = node_->rpc(erl_name_, "erlang", "error", {A("nope")}, 10s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::refused);
  auto printing = node_->rpc(erl_name_, "io", "format", {Term::string("hi~n")}, 10s);
  ASSERT_TRUE(printing) << printing.error().to_string();  // output goes to our group leader
  EXPECT_EQ(*printing, A("ok"));
  erl.stop(SIGKILL);
}

TEST_F(NodeInteropTest, ElixirConnectsListsUsAndCallsCpp) {
  std::string us = node_->name();
  auto result =
      testing::run_process({"env", "ERL_EPMD_PORT=" + std::to_string(epmd_->port()), "elixir",
                            "--name", unique_node_name("ex") + "@127.0.0.1", "--cookie", cookie_,
                            "--erl", "-kernel inet_dist_use_interface {127,0,0,1}", "-e",
                            "IO.inspect(Node.connect(:\"" + us +
                                "\")); IO.inspect(Node.list()); "
                                "IO.inspect(:rpc.call(:\"" +
                                us + "\", :calc, :add, [20, 22]))"},
                           "", 60s);
  ASSERT_NE(result.exit_code, -1) << "cannot start elixir: " << result.err;
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "true\n[:\"" + us + "\"]\n42\n");
}

}  // namespace
}  // namespace beamlink
