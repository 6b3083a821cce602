// Erlang's global with beamlink nodes as full participants, against real
// erl (OTP 25) nodes: global:sync() returns in a mixed cluster, names
// registered on either kind resolve on every node, conflicts when two
// halves meet are resolved as global resolves them, locks exclude each
// other across kinds, a beamlink node's names go when it dies, and a
// hidden beamlink node stays out of global.
//
// Each test runs beamlink's EPMD in-process on an ephemeral port, keeps
// every node on 127.0.0.1, picks its own names and cookie and stops only
// what it started. A missing erl fails the test; it never skips.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "epmd/loopback_epmd.h"
#include "integration/support/child_process.h"
#include "integration/support/erl_peer.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ErlPeer;
using testing::ErlPeerOptions;
using testing::eventually;
using testing::unique_node_name;

Term A(std::string_view name) {
  return Term::atom(name);
}

class GlobalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
    cookie_ = "global-" + unique_node_name("c");
  }

  std::unique_ptr<Node> start_node(const std::string& alive, bool hidden = false) {
    NodeOptions options;
    options.name = alive + "@127.0.0.1";
    options.cookie = cookie_;
    options.hidden = hidden;
    options.listen_address = "127.0.0.1";
    options.epmd_port = epmd_->port();
    options.worker_threads = 2;
    if (std::getenv("BEAMLINK_TEST_LOG") != nullptr) {
      options.logger = [name = options.name](LogLevel, std::string_view, std::string_view m) {
        std::fprintf(stderr, "[%s] %.*s\n", name.c_str(), static_cast<int>(m.size()), m.data());
      };
    }
    auto node = Node::start(std::move(options));
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  std::unique_ptr<ErlPeer> start_erl(const std::string& alive, Node& probe,
                                     std::vector<std::string> args = {}) {
    ErlPeerOptions options;
    options.alive = alive;
    options.cookie = cookie_;
    options.epmd_port = epmd_->port();
    options.erl_args = std::move(args);
    auto peer = ErlPeer::start(options, probe);
    EXPECT_TRUE(peer) << peer.error();
    return peer ? std::make_unique<ErlPeer>(std::move(*peer)) : nullptr;
  }

  // Evaluates on `erl` from `via`; the value or a failed expectation.
  Term eval(ErlPeer& erl, Node& via, const std::string& src, Term arg = Term(),
            std::chrono::milliseconds timeout = 20s) {
    auto value = erl.eval(via, src, std::move(arg), timeout);
    EXPECT_TRUE(value) << value.error().to_string();
    return value ? *value : A("eval_failed");
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
};

TEST_F(GlobalTest, SyncReturnsInMixedClusterAndNamesResolveEverywhere) {
  auto b1 = start_node(unique_node_name("b1"));
  auto b2 = start_node(unique_node_name("b2"));
  ASSERT_TRUE(b1 && b2);
  auto e1 = start_erl(unique_node_name("e1"), *b1);
  auto e2 = start_erl(unique_node_name("e2"), *b1);
  ASSERT_TRUE(e1 && e2);
  ASSERT_TRUE(b2->connect(b1->name()));
  // E1 meets everyone; global (erl's and ours) connects the rest.
  Term elapsed = eval(*e1, *b1,
                      "T0 = erlang:monotonic_time(millisecond), "
                      "[pong = net_adm:ping(N) || N <- Arg], ok = global:sync(), "
                      "erlang:monotonic_time(millisecond) - T0",
                      Term::list({A(e2->name()), A(b2->name())}));
  ASSERT_TRUE(elapsed.is<int64_t>()) << format_term(elapsed);
  std::printf("mixed (2 erl + 2 beamlink) global:sync() after connect: %lld ms\n",
              static_cast<long long>(elapsed.as<int64_t>()));
  EXPECT_EQ(eval(*e2, *b1, "global:sync()"), A("ok"));
  Term synced = eval(*e1, *b1, "lists:sort(gen_server:call(global_name_server, get_synced))");
  EXPECT_EQ(synced, Term::list([&] {
              std::vector<std::string> n{b1->name(), b2->name(), e2->name()};
              std::sort(n.begin(), n.end());
              std::vector<Term> t;
              for (auto& s : n) t.push_back(A(s));
              return t;
            }()));

  // A beamlink name resolves on both erl nodes and the other beamlink node.
  auto proc = b2->spawn();
  ASSERT_TRUE(proc);
  ASSERT_TRUE(b2->global().register_name(A("cxx_service"), proc->pid()));
  EXPECT_EQ(eval(*e1, *b1, "global:whereis_name(cxx_service)"), Term(proc->pid()));
  EXPECT_EQ(eval(*e2, *b1, "global:whereis_name(cxx_service)"), Term(proc->pid()));
  EXPECT_EQ(b1->global().whereis_name(A("cxx_service")), proc->pid());
  EXPECT_FALSE(b1->global().register_name(A("cxx_service"), proc->pid()));
  // global:send from erl reaches the C++ process.
  eval(*e1, *b1, "global:send(cxx_service, {hello, from_erl})");
  auto got = proc->receive(5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, Term::tuple({A("hello"), A("from_erl")}));

  // An erl name resolves on both beamlink nodes.
  Term erl_pid = eval(*e2, *b1,
                      "P = spawn(fun() -> receive stop -> ok end end), "
                      "yes = global:register_name(erl_service, P), P");
  ASSERT_TRUE(erl_pid.is<Pid>());
  EXPECT_TRUE(
      eventually([&] { return b1->global().whereis_name(A("erl_service")).has_value(); }, 5s));
  EXPECT_EQ(b1->global().whereis_name(A("erl_service")), erl_pid.as<Pid>());
  EXPECT_EQ(b2->global().whereis_name(A("erl_service")), erl_pid.as<Pid>());
  // The rpc built-ins answer as global does.
  EXPECT_EQ(eval(*e1, *b1, "rpc:call(Arg, global, whereis_name, [erl_service])", A(b2->name())),
            erl_pid);
  EXPECT_TRUE(b1->global().send(A("erl_service"), A("stop")));
  // The process exits: its name goes everywhere.
  EXPECT_TRUE(eventually([&] { return !b1->global().whereis_name(A("erl_service")); }, 5s));
  EXPECT_TRUE(eventually([&] { return !b2->global().whereis_name(A("erl_service")); }, 5s));

  // Unregistration both ways.
  ASSERT_TRUE(b1->global().unregister_name(A("cxx_service")));
  EXPECT_EQ(eval(*e1, *b1, "global:whereis_name(cxx_service)"), A("undefined"));
  EXPECT_FALSE(b2->global().whereis_name(A("cxx_service")));
  eval(*e1, *b1, "yes = global:register_name(again, Arg)", Term(proc->pid()));
  EXPECT_EQ(b2->global().whereis_name(A("again")), proc->pid());
  eval(*e2, *b1, "global:unregister_name(again)");
  EXPECT_FALSE(b1->global().whereis_name(A("again")));
  EXPECT_FALSE(b2->global().whereis_name(A("again")));
  // A local process that exits loses its global name.
  ASSERT_TRUE(b2->global().register_name(A("short_lived"), proc->pid()));
  EXPECT_EQ(eval(*e2, *b1, "global:whereis_name(short_lived)"), Term(proc->pid()));
  proc->exit(A("normal"));
  EXPECT_TRUE(eventually(
      [&] { return eval(*e2, *b1, "global:whereis_name(short_lived)") == A("undefined"); }, 5s));
}

// global:sync() time on an erl node right after it connects to the others
// (the figure for the report): 2 erl nodes alone, then 2 erl + 2 beamlink.
// The erl nodes start with a hidden beamlink probe, outside global.
TEST_F(GlobalTest, SyncTimeBaselineAndMixed) {
  auto probe = start_node(unique_node_name("probe"), /*hidden=*/true);
  ASSERT_TRUE(probe);
  EXPECT_FALSE(probe->global().enabled());
  const std::string measure =
      "T0 = erlang:monotonic_time(millisecond), "
      "[pong = net_adm:ping(N) || N <- Arg], ok = global:sync(), "
      "erlang:monotonic_time(millisecond) - T0";
  {
    auto e1 = start_erl(unique_node_name("e1"), *probe);
    auto e2 = start_erl(unique_node_name("e2"), *probe);
    ASSERT_TRUE(e1 && e2);
    Term elapsed = eval(*e1, *probe, measure, Term::list({A(e2->name())}));
    ASSERT_TRUE(elapsed.is<int64_t>());
    std::printf("global:sync() after connecting, 2 erl: %lld ms\n",
                static_cast<long long>(elapsed.as<int64_t>()));
    // The hidden beamlink node is in nobody's global.
    EXPECT_EQ(eval(*e1, *probe, "gen_server:call(global_name_server, get_known)"),
              Term::list({A(e2->name())}));
  }
  auto b1 = start_node(unique_node_name("b1"));
  auto b2 = start_node(unique_node_name("b2"));
  ASSERT_TRUE(b1 && b2);
  auto e1 = start_erl(unique_node_name("e1"), *probe);
  auto e2 = start_erl(unique_node_name("e2"), *probe);
  ASSERT_TRUE(e1 && e2);
  Term elapsed =
      eval(*e1, *probe, measure, Term::list({A(e2->name()), A(b1->name()), A(b2->name())}));
  ASSERT_TRUE(elapsed.is<int64_t>());
  std::printf("global:sync() after connecting, 2 erl + 2 beamlink: %lld ms\n",
              static_cast<long long>(elapsed.as<int64_t>()));
  EXPECT_EQ(eval(*e2, *probe, "global:sync()"), A("ok"));
  EXPECT_EQ(eval(*e2, *probe, "length(gen_server:call(global_name_server, get_known))"), Term(3));
}

TEST_F(GlobalTest, ConflictWhenHalvesMeetIsResolvedAsGlobalDoes) {
  // Node names sort: "a..." < "z...": the pid on the a-node is kept.
  auto ba = start_node(unique_node_name("a_bl"));
  auto bz = start_node(unique_node_name("z_bl"));
  ASSERT_TRUE(ba && bz);
  auto ez = start_erl(unique_node_name("z_erl"), *bz);
  ASSERT_TRUE(ez);
  EXPECT_EQ(eval(*ez, *bz, "global:sync()"), A("ok"));
  // Half 1: {ba}; half 2: {bz, ez}. Same name on each side.
  auto keep = ba->spawn();
  ASSERT_TRUE(keep);
  ASSERT_TRUE(ba->global().register_name(A("clash"), keep->pid()));
  Term loser = eval(*ez, *bz,
                    "P = spawn(fun() -> receive stop -> ok end end), "
                    "yes = global:register_name(clash, P), P");
  ASSERT_TRUE(loser.is<Pid>());
  auto monitor = bz->spawn();
  ASSERT_TRUE(monitor);
  Reference mref = monitor->monitor(loser.as<Pid>());
  ASSERT_TRUE(bz->connect(ba->name()));
  EXPECT_EQ(eval(*ez, *bz, "global:sync()"), A("ok"));
  // random_exit_name: the erl process (on z_erl, the greater node) is killed.
  auto down = monitor->receive(10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, Term::tuple({A("DOWN"), mref, A("process"), loser, A("killed")}));
  EXPECT_TRUE(eventually([&] { return bz->global().whereis_name(A("clash")) == keep->pid(); }, 5s));
  EXPECT_EQ(eval(*ez, *bz, "global:whereis_name(clash)"), Term(keep->pid()));
  EXPECT_TRUE(keep->alive());
}

TEST_F(GlobalTest, ResolvePolicyDecidesClashesResolvedHere) {
  auto ba = start_node(unique_node_name("a_bl"));
  auto bz = start_node(unique_node_name("z_bl"));
  ASSERT_TRUE(ba && bz);
  auto p1 = ba->spawn();
  auto p2 = bz->spawn();
  ASSERT_TRUE(p1 && p2);
  // ba is the smaller node: it resolves, running its policy for its own pid.
  ba->global().set_resolve_policy([&](const Term&, const Pid&, const Pid&) -> std::optional<Pid> {
    return std::nullopt;  // unregister everywhere, kill nobody
  });
  ASSERT_TRUE(ba->global().register_name(A("both"), p1->pid()));
  ASSERT_TRUE(bz->global().register_name(A("both"), p2->pid()));
  ASSERT_TRUE(bz->connect(ba->name()));
  EXPECT_TRUE(eventually([&] { return !ba->global().whereis_name(A("both")); }, 10s));
  EXPECT_TRUE(eventually([&] { return !bz->global().whereis_name(A("both")); }, 10s));
  EXPECT_TRUE(p1->alive());
  EXPECT_TRUE(p2->alive());
}

TEST_F(GlobalTest, LocksExcludeEachOtherAcrossKinds) {
  auto b1 = start_node(unique_node_name("b1"));
  ASSERT_TRUE(b1);
  auto e1 = start_erl(unique_node_name("e1"), *b1);
  ASSERT_TRUE(e1);
  EXPECT_EQ(eval(*e1, *b1, "global:sync()"), A("ok"));
  auto holder = b1->spawn();
  ASSERT_TRUE(holder);
  Term cxx_id = Term::tuple({A("shared_res"), holder->pid()});

  // erl holds: C++ cannot take it.
  EXPECT_EQ(eval(*e1, *b1, "global:set_lock({shared_res, self()}, [node() | nodes()], 0)"),
            A("true"));
  EXPECT_FALSE(b1->global().set_lock(*holder, cxx_id, {}, 0));
  // erl lets go: C++ takes it, and now erl cannot.
  EXPECT_EQ(eval(*e1, *b1, "global:del_lock({shared_res, self()}, [node() | nodes()])"), A("true"));
  EXPECT_TRUE(b1->global().set_lock(*holder, cxx_id, {}, 0));
  EXPECT_EQ(eval(*e1, *b1, "global:set_lock({shared_res, self()}, [node() | nodes()], 0)"),
            A("false"));
  // A waiting C++ trans runs once erl's lock is gone.
  b1->global().del_lock(*holder, cxx_id);
  EXPECT_EQ(eval(*e1, *b1, "global:set_lock({shared_res, self()}, [node() | nodes()], 0)"),
            A("true"));
  std::atomic<bool> ran{false};
  std::thread waiter([&] {
    auto done = b1->global().trans(A("shared_res"), [&] { ran = true; });
    EXPECT_TRUE(done) << done.error().to_string();
  });
  EXPECT_FALSE(eventually([&] { return ran.load(); }, 300ms));
  EXPECT_EQ(eval(*e1, *b1, "global:del_lock({shared_res, self()}, [node() | nodes()])"), A("true"));
  EXPECT_TRUE(eventually([&] { return ran.load(); }, 15s));
  waiter.join();
  // The holder process dies: its lock goes on every node.
  EXPECT_TRUE(b1->global().set_lock(*holder, cxx_id, {}, 0));
  holder->exit(A("normal"));
  EXPECT_TRUE(eventually(
      [&] {
        return eval(*e1, *b1, "global:set_lock({shared_res, self()}, [node() | nodes()], 0)") ==
               A("true");
      },
      5s));
}

TEST_F(GlobalTest, StoppedBeamlinkNodeLosesItsNamesOnErlNodes) {
  auto b1 = start_node(unique_node_name("b1"));
  auto b2 = start_node(unique_node_name("b2"));
  ASSERT_TRUE(b1 && b2);
  auto e1 = start_erl(unique_node_name("e1"), *b1);
  ASSERT_TRUE(e1);
  ASSERT_TRUE(b2->connect(e1->name()));
  EXPECT_EQ(eval(*e1, *b1, "global:sync()"), A("ok"));
  auto proc = b2->spawn();
  ASSERT_TRUE(proc);
  ASSERT_TRUE(b2->global().register_name(A("goes_away"), proc->pid()));
  EXPECT_EQ(eval(*e1, *b1, "global:whereis_name(goes_away)"), Term(proc->pid()));
  EXPECT_EQ(b1->global().whereis_name(A("goes_away")), proc->pid());
  b2->stop();
  EXPECT_TRUE(eventually(
      [&] { return eval(*e1, *b1, "global:whereis_name(goes_away)") == A("undefined"); }, 10s));
  EXPECT_TRUE(eventually([&] { return !b1->global().whereis_name(A("goes_away")); }, 10s));
  EXPECT_EQ(eval(*e1, *b1, "global:sync()"), A("ok"));
}

// A `beamlink node --global-name` child: its name reaches erl through
// global, the CLI's `global names|whereis` read it from either kind, and
// kill -9 of the child removes the name on every node.
TEST_F(GlobalTest, KilledBeamlinkNodeLosesItsNamesEverywhere) {
  auto b1 = start_node(unique_node_name("b1"));
  ASSERT_TRUE(b1);
  auto e1 = start_erl(unique_node_name("e1"), *b1);
  ASSERT_TRUE(e1);
  const std::string port = std::to_string(epmd_->port());
  const std::string cli_name = unique_node_name("cli") + "@127.0.0.1";
  auto child = testing::ChildProcess::spawn(
      {BEAMLINK_CLI_PATH, "node", "--name", cli_name, "--cookie", cookie_, "--listen-address",
       "127.0.0.1", "--global-name", "cli_echo"},
      {{"ERL_EPMD_PORT", port}});
  ASSERT_TRUE(child) << child.error();
  ASSERT_TRUE(eventually([&] { return b1->ping(cli_name, 1s); }, 20s)) << child->output();
  ASSERT_TRUE(eventually([&] { return b1->global().whereis_name(A("cli_echo")).has_value(); }, 10s))
      << child->output();
  Pid echo = *b1->global().whereis_name(A("cli_echo"));
  EXPECT_EQ(echo.node.name, cli_name);
  EXPECT_TRUE(eventually(
      [&] { return eval(*e1, *b1, "global:whereis_name(cli_echo)") == Term(echo); }, 10s));
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "ERL_EPMD_PORT=" + port, BEAMLINK_CLI_PATH, "global"});
    args.insert(args.end(), {"--cookie", cookie_});
    return testing::run_process(args, "", 30s);
  };
  auto names = cli({"names", e1->name()});
  EXPECT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(names.out, "cli_echo\n");
  auto where = cli({"whereis", cli_name, "cli_echo"});
  EXPECT_EQ(where.exit_code, 0) << where.err;
  EXPECT_EQ(where.out, format_term(Term(echo)) + "\n");
  auto missing = cli({"whereis", e1->name(), "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "undefined\n");

  child->stop(SIGKILL);
  EXPECT_TRUE(eventually(
      [&] { return eval(*e1, *b1, "global:whereis_name(cli_echo)") == A("undefined"); }, 15s));
  EXPECT_TRUE(eventually([&] { return !b1->global().whereis_name(A("cli_echo")); }, 15s));
  EXPECT_EQ(eval(*e1, *b1, "global:sync()"), A("ok"));
}

// prevent_overlapping_partitions (OTP 25's default): when e1 drops b1,
// e1 tells e2 (which asks b1 to drop e2) and b1 tells e2 (which drops e1),
// so no node keeps a link across the broken one. Evals go through a
// hidden probe, outside global.
TEST_F(GlobalTest, LostConnectionIsReportedAndActedOn) {
  auto probe = start_node(unique_node_name("probe"), /*hidden=*/true);
  auto b1 = start_node(unique_node_name("b1"));
  ASSERT_TRUE(probe && b1);
  auto e1 = start_erl(unique_node_name("e1"), *probe);
  auto e2 = start_erl(unique_node_name("e2"), *probe);
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(eval(*e1, *probe, "[pong = net_adm:ping(N) || N <- Arg], global:sync()",
                 Term::list({A(e2->name()), A(b1->name())})),
            A("ok"));
  EXPECT_EQ(eval(*e2, *probe, "global:sync()"), A("ok"));
  ASSERT_TRUE(eventually([&] { return b1->nodes().size() == 2; }, 5s));
  eval(*e1, *probe, "erlang:disconnect_node(Arg)", A(b1->name()));
  auto connected = [&](ErlPeer& erl, const std::string& other) {
    return eval(erl, *probe, "lists:member(Arg, nodes())", A(other)) == A("true");
  };
  // b1 acted on e2's remove_connection, and e2 on b1's lost_connection.
  EXPECT_TRUE(eventually(
      [&] {
        auto n = b1->nodes();
        return std::find(n.begin(), n.end(), e2->name()) == n.end();
      },
      10s));
  EXPECT_TRUE(eventually([&] { return !connected(*e2, e1->name()); }, 10s));
}

TEST_F(GlobalTest, HiddenBeamlinkNodeDoesNotDisturbSync) {
  auto b1 = start_node(unique_node_name("b1"));
  auto hidden = start_node(unique_node_name("h"), /*hidden=*/true);
  ASSERT_TRUE(b1 && hidden);
  auto e1 = start_erl(unique_node_name("e1"), *b1);
  ASSERT_TRUE(e1);
  ASSERT_TRUE(hidden->connect(e1->name()));
  EXPECT_EQ(eval(*e1, *hidden, "global:sync()"), A("ok"));

  EXPECT_FALSE(hidden->global().enabled());
  EXPECT_FALSE(hidden->global().register_name(A("nope"), hidden->spawn()->pid()));
  EXPECT_EQ(eval(*e1, *b1, "gen_server:call(global_name_server, get_known)"),
            Term::list({A(b1->name())}));
}

}  // namespace
}  // namespace beamlink
