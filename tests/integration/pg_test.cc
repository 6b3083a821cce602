// pg process groups against real Elixir and erl (OTP 25) nodes: members
// crossing both ways, leave both ways, member exit, subscriptions, a named
// scope, a killed erl node's members vanishing, a stopped or killed
// beamlink node's members vanishing on the Erlang side, and the CLI's
// `pg groups` / `pg members` against both kinds of node.
//
// Each test runs its own in-process EPMD on 127.0.0.1 with an ephemeral
// port, picks its own names and cookie, and stops by pid only what it
// started. Waits are on conditions, never fixed sleeps.
#include "beamlink/pg.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <mutex>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "integration/support/child_process.h"
#include "integration/support/erl_peer.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ErlPeer;
using testing::eventually;
using testing::unique_node_name;

const std::string kCli = BEAMLINK_CLI_PATH;

Term A(std::string_view name) {
  return Term::atom(name);
}

bool contains(const std::vector<Pid>& pids, const Pid& pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::start_loopback_epmd();
    ASSERT_TRUE(server) << server.error().to_string();
    epmd_ = std::move(*server);
    cookie_ = "pg-" + unique_node_name("c");
    node_ = start_node(unique_node_name("us"));
    ASSERT_TRUE(node_);
  }

  std::unique_ptr<Node> start_node(const std::string& alive) {
    auto node = testing::start_loopback_node(alive, cookie_, epmd_->port());
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  // An erl or Elixir node with the default pg scope running.
  std::optional<ErlPeer> start_peer(bool elixir) {
    testing::ErlPeerOptions options;
    options.alive = unique_node_name(elixir ? "ex" : "erl");
    options.cookie = cookie_;
    options.epmd_port = epmd_->port();
    options.elixir = elixir;
    options.erl_args = {"-kernel", "start_pg", "true"};
    auto peer = ErlPeer::start(options, *node_);
    EXPECT_TRUE(peer) << peer.error();
    if (!peer) return std::nullopt;
    return std::move(*peer);
  }

  // The peer's pg:get_members(Scope, Group) as pids.
  std::vector<Pid> remote_members(ErlPeer& peer, const std::string& scope,
                                  const std::string& group) {
    std::string src = peer.elixir() ? ":pg.get_members(:" + scope + ", :" + group + ")"
                                    : "pg:get_members(" + scope + ", " + group + ")";
    auto members = peer.eval(*node_, src);
    std::vector<Pid> out;
    if (!members || !members->is<List>()) return out;
    for (const Term& t : members->as<List>().elements) {
      if (t.is<Pid>()) out.push_back(t.as<Pid>());
    }
    return out;
  }

  testing::ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "ERL_EPMD_PORT=" + std::to_string(epmd_->port()), kCli});
    args.insert(args.end(), {"--cookie", cookie_});
    return testing::run_process(args, "", 30s);
  }

  bool registered(const std::string& alive) {
    for (const auto& entry : epmd_->registered()) {
      if (entry.node.name == alive) return true;
    }
    return false;
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
  std::unique_ptr<Node> node_;
};

TEST_F(PgTest, ElixirAndBeamlinkSeeEachOthersMembersJoinLeaveAndExit) {
  auto ex = start_peer(/*elixir=*/true);
  ASSERT_TRUE(ex);
  std::mutex mu;
  std::vector<GroupEvent> events;
  auto sub = node_->pg().monitor(A("workers"), [&](const GroupEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  ASSERT_TRUE(sub);

  // C++ joins; Elixir's :pg lists the pid once the join has crossed.
  auto p = node_->spawn();
  ASSERT_TRUE(node_->pg().join(A("workers"), p->pid()));
  EXPECT_TRUE(eventually(
      [&] { return remote_members(*ex, "pg", "workers") == std::vector<Pid>{p->pid()}; }));

  // Elixir joins; C++ lists its pid, and the subscription saw it.
  auto joined = ex->eval(*node_,
                         "pid = spawn(fn -> receive do :stop -> :ok end end)\n"
                         ":ok = :pg.join(:workers, pid)\n"
                         "pid");
  ASSERT_TRUE(joined) << joined.error().to_string();
  ASSERT_TRUE(joined->is<Pid>());
  Pid ex_pid = joined->as<Pid>();
  EXPECT_TRUE(eventually([&] { return contains(node_->pg().get_members(A("workers")), ex_pid); }));
  EXPECT_EQ(node_->pg().get_local_members(A("workers")), std::vector<Pid>{p->pid()});
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return std::any_of(events.begin(), events.end(), [&](const GroupEvent& e) {
      return e.kind == GroupEvent::Kind::join && e.pids == std::vector<Pid>{ex_pid};
    });
  }));

  // Leave both ways.
  ASSERT_TRUE(node_->pg().leave(A("workers"), p->pid()));
  EXPECT_TRUE(
      eventually([&] { return remote_members(*ex, "pg", "workers") == std::vector<Pid>{ex_pid}; }));
  ASSERT_TRUE(ex->eval(*node_, ":pg.leave(:workers, arg)", Term(ex_pid)));
  EXPECT_TRUE(eventually([&] { return node_->pg().get_members(A("workers")).empty(); }));

  // A member exiting leaves, on either side.
  ASSERT_TRUE(ex->eval(*node_, ":pg.join(:workers, arg)", Term(ex_pid)));
  auto q = node_->spawn();
  ASSERT_TRUE(node_->pg().join(A("workers"), q->pid()));
  EXPECT_TRUE(eventually([&] { return remote_members(*ex, "pg", "workers").size() == 2; }));
  q->exit(A("normal"));
  EXPECT_TRUE(
      eventually([&] { return remote_members(*ex, "pg", "workers") == std::vector<Pid>{ex_pid}; }));
  ASSERT_TRUE(ex->eval(*node_, "send(arg, :stop)", Term(ex_pid)));
  EXPECT_TRUE(eventually([&] { return node_->pg().get_members(A("workers")).empty(); }));

  // rpc built-ins: Elixir asks this node's pg.
  ASSERT_TRUE(node_->pg().join(A("rpc_group"), p->pid()));
  auto via_rpc =
      ex->eval(*node_, ":rpc.call(arg, :pg, :get_members, [:pg, :rpc_group])", A(node_->name()));
  ASSERT_TRUE(via_rpc) << via_rpc.error().to_string();
  EXPECT_EQ(*via_rpc, Term::list({p->pid()}));
  auto groups = ex->eval(*node_, ":rpc.call(arg, :pg, :which_groups, [])", A(node_->name()));
  ASSERT_TRUE(groups);
  EXPECT_EQ(*groups, Term::list({A("rpc_group")}));
}

TEST_F(PgTest, NamedScopeWithErlAndKilledErlMembersVanish) {
  auto erl = start_peer(/*elixir=*/false);
  ASSERT_TRUE(erl);
  ASSERT_TRUE(erl->eval(*node_, "{ok, _} = pg:start(my_scope), ok"));
  auto scope = node_->pg("my_scope");
  ASSERT_TRUE(scope) << scope.error().to_string();
  auto p = node_->spawn();
  ASSERT_TRUE((*scope)->join(A("g"), p->pid()));
  EXPECT_TRUE(eventually(
      [&] { return remote_members(*erl, "my_scope", "g") == std::vector<Pid>{p->pid()}; }));
  // The default scope does not see it.
  EXPECT_TRUE(remote_members(*erl, "pg", "g").empty());

  auto joined = erl->eval(*node_,
                          "P = spawn(fun() -> receive stop -> ok end end), "
                          "ok = pg:join(my_scope, g, [P]), P");
  ASSERT_TRUE(joined && joined->is<Pid>());
  Pid erl_pid = joined->as<Pid>();
  EXPECT_TRUE(eventually([&] { return (*scope)->get_members(A("g")).size() == 2; }));
  EXPECT_TRUE(contains((*scope)->get_members(A("g")), erl_pid));
  EXPECT_TRUE(node_->pg().get_members(A("g")).empty());

  erl->process().stop(SIGKILL);
  EXPECT_TRUE(
      eventually([&] { return (*scope)->get_members(A("g")) == std::vector<Pid>{p->pid()}; }, 10s));
}

TEST_F(PgTest, StoppedBeamlinkNodeMembersVanishOnTheErlangSide) {
  auto erl = start_peer(/*elixir=*/false);
  ASSERT_TRUE(erl);
  auto other = start_node(unique_node_name("other"));
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->connect(erl->name()));
  auto p = other->spawn();
  ASSERT_TRUE(other->pg().join(A("g"), p->pid()));
  EXPECT_TRUE(
      eventually([&] { return remote_members(*erl, "pg", "g") == std::vector<Pid>{p->pid()}; }));
  // A beamlink node seeing the other through the same protocol.
  ASSERT_TRUE(node_->connect(other->name()));
  EXPECT_TRUE(eventually([&] { return node_->pg().get_members(A("g")).size() == 1; }));
  other->stop();
  EXPECT_TRUE(eventually([&] { return remote_members(*erl, "pg", "g").empty(); }, 10s));
  EXPECT_TRUE(eventually([&] { return node_->pg().get_members(A("g")).empty(); }, 10s));
}

TEST_F(PgTest, CliNodeGroupSeenByErlAndCliAndGoneWhenKilled) {
  auto erl = start_peer(/*elixir=*/false);
  ASSERT_TRUE(erl);
  std::string bl = unique_node_name("cli");
  std::string bl_name = bl + "@127.0.0.1";
  auto child = ChildProcess::spawn({kCli, "node", "--name", bl_name, "--cookie", cookie_,
                                    "--listen-address", "127.0.0.1", "--pg-group", "cli_group"},
                                   {{"ERL_EPMD_PORT", std::to_string(epmd_->port())}});
  ASSERT_TRUE(child) << child.error();
  ASSERT_TRUE(eventually([&] { return registered(bl); }, 10s)) << child->output();
  ASSERT_TRUE(erl->eval(*node_, "pong = net_adm:ping('" + bl_name + "'), ok"));
  std::vector<Pid> members;
  EXPECT_TRUE(eventually([&] {
    members = remote_members(*erl, "pg", "cli_group");
    return members.size() == 1;
  })) << child->output();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].node.name, bl_name);
  std::string expected = format_term(Term(members[0])) + "\n";

  // The CLI against the beamlink node and against erl: the same answer.
  for (const std::string& target : {bl_name, erl->name()}) {
    auto listed = cli({"pg", "members", target, "cli_group"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(listed.out, expected) << target;
    auto scoped = cli({"pg", "members", target, "pg", "cli_group"});
    EXPECT_EQ(scoped.out, expected) << target << scoped.err;
    auto groups = cli({"pg", "groups", target});
    EXPECT_EQ(groups.exit_code, 0) << groups.err;
    EXPECT_EQ(groups.out, "cli_group\n") << target;
  }
  auto none = cli({"pg", "members", erl->name(), "nope"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");

  child->stop(SIGKILL);
  EXPECT_TRUE(eventually([&] { return remote_members(*erl, "pg", "cli_group").empty(); }, 10s));
}

}  // namespace
}  // namespace beamlink
