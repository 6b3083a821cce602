// rex and the erlang: built-ins against real peers: erl_call -a (ei's
// {From, {call, ...}} form) against a beamlink node, and rpc:sbcast,
// rpc:abcast, rpc:multicall, erpc:multicall, rpc:cast, rpc:block_call,
// rpc:pinfo and rpc:server_call from a real erl (OTP 25) node over a mixed
// node list (erl + two beamlink nodes + a node that does not exist, which
// must land in the bad nodes, never hang), plus rpc:call of each built-in.
//
// The suite runs beamlink's EPMD in-process on 127.0.0.1 with an ephemeral
// port (ERL_EPMD_PORT for erl and erl_call), picks its own names and
// cookie, and stops by pid only what it started. A missing erl or erl_call
// fails the test; it never skips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "integration/support/erl_peer.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ErlPeer;
using testing::eventually;
using testing::unique_node_name;

Term A(std::string_view name) {
  return Term::atom(name);
}

// erl_call as Debian's erlang-base installs it.
std::string erl_call_path() {
  for (const char* path : {"/usr/lib/erlang/lib/erl_interface-5.3/bin/erl_call",
                           "/usr/lib/erlang/bin/erl_call", "/usr/bin/erl_call"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "erl_call";
}

class RexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    epmd::ServerOptions options;
    options.addresses = {"127.0.0.1"};
    options.port = 0;
    auto server = epmd::Server::start(options);
    ASSERT_TRUE(server) << server.error().to_string();
    epmd_ = server->release();
    cookie_ = new std::string("rex-" + unique_node_name("c"));
    us_ = start_node(unique_node_name("us")).release();
    them_ = start_node(unique_node_name("them")).release();
    ASSERT_TRUE(us_ && them_);
    for (Node* node : {us_, them_}) {
      node->register_function("calc", "add", [](const std::vector<Term>& args) -> CallResult {
        if (args.size() != 2 || !args[0].is<int64_t>() || !args[1].is<int64_t>()) {
          return CallResult::error(A("badarg"));
        }
        return Term(args[0].as<int64_t>() + args[1].as<int64_t>());
      });
      node->register_function("calc", "cast_me", [](const std::vector<Term>& args) -> CallResult {
        std::lock_guard lock(casts_mu_);
        casts_.push_back(args.empty() ? Term() : args[0]);
        return A("ok");
      });
      // echo: {From, Msg} -> From ! Msg.
      auto echo = node->spawn_handler(
          [](Process& self, Term message) {
            const Tuple* t = message.get_if<Tuple>();
            if (t != nullptr && t->elements.size() == 2 && t->elements[0].is<Pid>()) {
              self.send(t->elements[0].as<Pid>(), t->elements[1]);
            }
          },
          {.register_as = "echo"});
      ASSERT_TRUE(echo) << echo.error().to_string();
    }
    auto us_sink = us_->spawn({.register_as = "sink"});
    auto them_sink = them_->spawn({.register_as = "sink"});
    auto only_us = us_->spawn({.register_as = "only_us"});
    ASSERT_TRUE(us_sink && them_sink && only_us);
    us_sink_ = new Process(std::move(*us_sink));
    them_sink_ = new Process(std::move(*them_sink));
    only_us_ = new Process(std::move(*only_us));

    testing::ErlPeerOptions erl_options;
    erl_options.alive = unique_node_name("erl");
    erl_options.cookie = *cookie_;
    erl_options.epmd_port = epmd_->port();
    auto erl = ErlPeer::start(erl_options, *us_);
    ASSERT_TRUE(erl) << erl.error();
    erl_ = new ErlPeer(std::move(*erl));
    // A sink on erl too, and the node names for the evals.
    ASSERT_TRUE(eval("register(sink, spawn(fun Loop() -> receive _ -> Loop() end end)), ok"));
  }

  static void TearDownTestSuite() {
    delete erl_;
    delete only_us_;
    delete us_sink_;
    delete them_sink_;
    delete us_;
    delete them_;
    delete epmd_;
    delete cookie_;
    erl_ = nullptr;
    us_ = them_ = nullptr;
    epmd_ = nullptr;
  }

  static std::unique_ptr<Node> start_node(const std::string& alive) {
    NodeOptions options;
    options.name = alive + "@127.0.0.1";
    options.cookie = *cookie_;
    options.listen_address = "127.0.0.1";
    options.epmd_port = epmd_->port();
    options.worker_threads = 2;
    auto node = Node::start(std::move(options));
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  // Evaluates Erlang `src` on the erl node with Us, Them, Erl, Nope (a node
  // that does not exist) bound, and Arg; the value, or a failure message.
  static Result<Term> eval(const std::string& src, Term arg = Term(),
                           std::chrono::milliseconds timeout = 20s) {
    std::string bound = "{Us, Them, Erl, Nope, Arg1} = Arg, " + src;
    Term args = Term::tuple({A(us_->name()), A(them_->name()), A(erl_->name()),
                             A(unique_node_name("nope") + "@127.0.0.1"), std::move(arg)});
    return erl_->eval(*us_, bound, std::move(args), timeout);
  }
  static Term evaluated(const std::string& src, Term arg = Term()) {
    auto value = eval(src, std::move(arg));
    EXPECT_TRUE(value) << src << ": " << value.error().to_string();
    return value ? *value : A("eval_failed");
  }

  // erl_call [extra flags] -a "M F Args" against `node`; stdout.
  static std::string erl_call(const Node& node, const std::string& apply,
                              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"env",
                                     "ERL_EPMD_PORT=" + std::to_string(epmd_->port()),
                                     erl_call_path(),
                                     "-name",
                                     node.name(),
                                     "-c",
                                     *cookie_,
                                     "-timeout",
                                     "15"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"-a", apply});
    auto result = testing::run_process(argv, "", 20s);
    EXPECT_EQ(result.exit_code, 0) << "erl_call -a '" << apply << "': " << result.err
                                   << (result.timed_out ? " (timed out)" : "");
    return result.out;
  }

  static std::vector<Term> casts() {
    std::lock_guard lock(casts_mu_);
    return casts_;
  }

  static inline epmd::Server* epmd_ = nullptr;
  static inline std::string* cookie_ = nullptr;
  static inline Node* us_ = nullptr;
  static inline Node* them_ = nullptr;
  static inline Process* us_sink_ = nullptr;
  static inline Process* them_sink_ = nullptr;
  static inline Process* only_us_ = nullptr;
  static inline ErlPeer* erl_ = nullptr;
  static inline std::mutex casts_mu_;
  static inline std::vector<Term> casts_;
};

TEST_F(RexTest, ErlCallApplyAgainstABeamlinkNode) {
  EXPECT_EQ(erl_call(*us_, "erlang node"), "'" + us_->name() + "'");
  EXPECT_EQ(erl_call(*us_, "calc add [2,40]"), "42");
  // -fetch_stdout sends send_stdout_to_caller as the group leader; C++
  // functions print nothing, so only the result comes back.
  EXPECT_EQ(erl_call(*them_, "calc add [1,2]", {"-fetch_stdout"}), "3");
  std::string processes = erl_call(*us_, "erlang processes");
  EXPECT_TRUE(processes.starts_with("[<")) << processes;
  EXPECT_NE(erl_call(*us_, "erlang registered").find("rex"), std::string::npos);
  std::string undef = erl_call(*us_, "nomod nofun [1]");
  EXPECT_TRUE(undef.starts_with("{badrpc, {'EXIT', {undef, [{nomod, nofun,")) << undef;
}

TEST_F(RexTest, SbcastOverAMixedNodeList) {
  Term all = evaluated(
      "{G, B} = rpc:sbcast([Us, Them, Erl, Nope], sink, hello_sbcast), {lists:sort(G), B}");
  std::vector<std::string> good = {us_->name(), them_->name(), erl_->name()};
  std::sort(good.begin(), good.end());
  ASSERT_TRUE(all.is<Tuple>()) << format_term(all);
  EXPECT_EQ(all.as<Tuple>().elements[0], Term::list({A(good[0]), A(good[1]), A(good[2])}));
  ASSERT_EQ(all.as<Tuple>().elements[1].as<List>().elements.size(), 1u) << format_term(all);
  EXPECT_EQ(us_sink_->receive(5s), A("hello_sbcast"));
  EXPECT_EQ(them_sink_->receive(5s), A("hello_sbcast"));
  // A name only one node has: the others are bad nodes.
  Term some = evaluated("{G, B} = rpc:sbcast([Us, Them, Erl], only_us, hi), {G, lists:sort(B)}");
  std::vector<std::string> bad = {them_->name(), erl_->name()};
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(some, Term::tuple({Term::list({A(us_->name())}), Term::list({A(bad[0]), A(bad[1])})}));
  EXPECT_EQ(only_us_->receive(5s), A("hi"));
}

TEST_F(RexTest, AbcastAndCastReachBeamlinkNodes) {
  EXPECT_EQ(evaluated("rpc:abcast([Us, Them, Nope], sink, hello_abcast)"), A("abcast"));
  EXPECT_EQ(us_sink_->receive(5s), A("hello_abcast"));
  EXPECT_EQ(them_sink_->receive(5s), A("hello_abcast"));
  // rpc:cast (erpc's spawn request) and OTP < 23's gen_cast to rex.
  EXPECT_EQ(evaluated("rpc:cast(Us, calc, cast_me, [by_rpc_cast])"), A("true"));
  EXPECT_EQ(evaluated("gen_server:cast({rex, Them}, {cast, calc, cast_me, [by_gen_cast], user})"),
            A("ok"));
  EXPECT_TRUE(eventually(
      [] {
        auto seen = casts();
        return std::find(seen.begin(), seen.end(), A("by_rpc_cast")) != seen.end() &&
               std::find(seen.begin(), seen.end(), A("by_gen_cast")) != seen.end();
      },
      10s));
}

TEST_F(RexTest, MulticallOverAMixedNodeList) {
  Term rpc = evaluated("rpc:multicall([Us, Them, Erl, Nope], erlang, node, [], 10000)");
  ASSERT_TRUE(rpc.is<Tuple>()) << format_term(rpc);
  EXPECT_EQ(rpc.as<Tuple>().elements[0],
            Term::list({A(us_->name()), A(them_->name()), A(erl_->name())}));
  ASSERT_EQ(rpc.as<Tuple>().elements[1].as<List>().elements.size(), 1u);
  EXPECT_TRUE(
      rpc.as<Tuple>().elements[1].as<List>().elements[0].as<Atom>().name.starts_with("bl_"));
  Term erpc = evaluated("erpc:multicall([Us, Them, Erl, Nope], calc, add, [1, 2], 10000)");
  ASSERT_TRUE(erpc.is<List>()) << format_term(erpc);
  ASSERT_EQ(erpc.as<List>().elements.size(), 4u);
  EXPECT_EQ(erpc.as<List>().elements[0], Term::tuple({A("ok"), Term(3)}));
  EXPECT_EQ(erpc.as<List>().elements[1], Term::tuple({A("ok"), Term(3)}));
  // erl has no calc module; the node that does not exist: noconnection.
  EXPECT_EQ(erpc.as<List>().elements[2].as<Tuple>().elements[0], A("error"));
  EXPECT_EQ(erpc.as<List>().elements[3],
            Term::tuple({A("error"), Term::tuple({A("erpc"), A("noconnection")})}));
}

TEST_F(RexTest, RexRequestFormsFromErl) {
  // rpc:block_call is a gen_call {block_call, ...} to rex.
  EXPECT_EQ(evaluated("rpc:block_call(Us, calc, add, [20, 22])"), Term(42));
  EXPECT_EQ(evaluated("gen_server:call({rex, Us}, {call, calc, add, [1, 1], group_leader()})"),
            Term(2));
  // Unknown requests are answered, never left waiting.
  EXPECT_EQ(evaluated("gen_server:call({rex, Us}, what_is_this, 10000)"),
            Term::tuple({A("badrpc"), A("notsup")}));
  EXPECT_EQ(evaluated("rpc:server_call(Us, rex, rex, what_is_this)"),
            Term::tuple({A("badrpc"), A("notsup")}));
  EXPECT_EQ(evaluated("rpc:server_call(Us, rex, features_reply, features_request)"),
            Term::list({A("erpc")}));
  // ei's form from an Erlang process: {Self, {call, M, F, A, user}} -> {rex, Reply}.
  EXPECT_EQ(evaluated("{rex, Us} ! {self(), {call, calc, add, [3, 4], user}},"
                      " receive {rex, R} -> R after 10000 -> timeout end"),
            Term(7));
}

TEST_F(RexTest, BuiltinsThroughRpcFromErl) {
  Pid sink = us_sink_->pid();
  us_sink_->send(sink, A("queued_1"));
  us_sink_->send(sink, A("queued_2"));
  EXPECT_EQ(evaluated("lists:member(Arg1, rpc:call(Us, erlang, processes, []))", sink), A("true"));
  EXPECT_EQ(evaluated("R = rpc:call(Us, erlang, registered, []),"
                      " [lists:member(N, R) || N <- [echo, rex, net_kernel, sink]]"),
            Term::list({A("true"), A("true"), A("true"), A("true")}));
  Term info = evaluated("rpc:call(Us, erlang, process_info, [Arg1])", sink);
  EXPECT_NE(format_term(info).find("{message_queue_len,2}"), std::string::npos)
      << format_term(info);
  EXPECT_NE(format_term(info).find("{registered_name,sink}"), std::string::npos);
  // rpc:pinfo/2 goes through rex's block_call.
  EXPECT_EQ(evaluated("rpc:pinfo(Arg1, message_queue_len)", sink),
            Term::tuple({A("message_queue_len"), Term(2)}));
  EXPECT_EQ(evaluated("rpc:pinfo(Arg1, [status, links])", sink),
            Term::list({Term::tuple({A("status"), A("runnable")}),
                        Term::tuple({A("links"), Term::list({})})}));
  (void)us_sink_->receive(1s);
  (void)us_sink_->receive(1s);
  EXPECT_EQ(evaluated("M = rpc:call(Us, erlang, memory, []),"
                      " {proplists:get_value(total, M) > 0, length(M)}"),
            Term::tuple({A("true"), Term(9)}));
  EXPECT_EQ(evaluated("is_integer(rpc:call(Us, erlang, memory, [total]))"), A("true"));
  EXPECT_EQ(evaluated("rpc:call(Us, erlang, system_info, [otp_release])"), Term::string("25"));
  EXPECT_EQ(evaluated("is_integer(rpc:call(Us, erlang, system_info, [process_count]))"), A("true"));
  EXPECT_EQ(
      evaluated("rpc:call(Us, erlang, system_info, [no_such_item])"),
      Term::tuple(
          {A("badrpc"),
           Term::tuple({A("EXIT"), Term::tuple({A("badarg"), Term::list({Term::tuple(
                                                                 {A("erlang"), A("system_info"),
                                                                  Term::list({A("no_such_item")}),
                                                                  Term::list({})})})})})}));
  EXPECT_EQ(evaluated("{W, _} = rpc:call(Us, erlang, statistics, [wall_clock]), is_integer(W)"),
            A("true"));
  EXPECT_EQ(evaluated("rpc:call(Us, erlang, is_alive, [])"), A("true"));
  EXPECT_EQ(evaluated("abs(rpc:call(Us, erlang, system_time, [second]) -"
                      " erlang:system_time(second)) < 5"),
            A("true"));
  // What beamlink does not offer is still undef.
  EXPECT_EQ(evaluated("element(1, element(2, element(2, rpc:call(Us, erlang, halt, []))))"),
            A("undef"));
}

}  // namespace
}  // namespace beamlink
