// `beamlink node / ping / rpc / send` as a user runs them, against real erl
// and elixir nodes. Each test starts beamlink's EPMD in-process on
// 127.0.0.1 and an ephemeral port, runs every node on 127.0.0.1, and stops
// every process it started by pid.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/epmd.h"
#include "epmd/loopback_epmd.h"
#include "integration/support/child_process.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ProcessResult;

const std::string kCli = BEAMLINK_CLI_PATH;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class CliNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
    port_ = std::to_string(epmd_->port());
    cookie_ = "cli-node-" + testing::unique_node_name("c");
  }

  testing::EnvOverrides env() const { return {{"ERL_EPMD_PORT", port_}}; }

  ProcessResult cli(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s) {
    args.insert(args.begin(), {"env", "ERL_EPMD_PORT=" + port_, kCli});
    return testing::run_process(args, "", timeout);
  }

  bool registered(const std::string& name) {
    for (const auto& node : epmd_->registered()) {
      if (node.node.name == name) return true;
    }
    return false;
  }

  // A `beamlink node` in the background; waits until EPMD knows it.
  ChildProcess start_beamlink_node(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kCli,       "node",  "--name",           name + "@127.0.0.1",
                                     "--cookie", cookie_, "--listen-address", "127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto node = ChildProcess::spawn(argv, env());
    EXPECT_TRUE(node) << node.error();
    EXPECT_TRUE(testing::eventually([&] { return registered(name); }, 10s)) << node->output();
    return std::move(*node);
  }

  // A real erl node running `eval` (which should not halt); waits until
  // EPMD knows it.
  ChildProcess start_erl_node(const std::string& name, const std::string& eval) {
    auto node = ChildProcess::spawn(
        {"erl", "-name", name + "@127.0.0.1", "-setcookie", cookie_, "-kernel",
         "inet_dist_use_interface", "{127,0,0,1}", "-noshell", "-noinput", "-eval", eval},
        env());
    EXPECT_TRUE(node) << "cannot start erl (is erlang-base installed?): " << node.error();
    EXPECT_TRUE(testing::eventually([&] { return registered(name); }, 20s)) << node->output();
    return std::move(*node);
  }

  // Runs a short erl script on a fresh node and returns what it printed.
  ProcessResult erl_script(const std::string& name, const std::string& script) {
    return testing::run_process(
        {"env", "ERL_EPMD_PORT=" + port_, "erl", "-name", name + "@127.0.0.1", "-setcookie",
         cookie_, "-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-noshell", "-noinput",
         "-eval", script},
        "", 60s);
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string port_;
  std::string cookie_;
};

TEST_F(CliNodeTest, ErlPingsTheNodeAndTalksToEcho) {
  std::string bl = testing::unique_node_name("bl");
  ChildProcess node = start_beamlink_node(bl);
  std::string target = "'" + bl + "@127.0.0.1'";
  ProcessResult erl = erl_script(
      testing::unique_node_name("erl"),
      "io:format(\"~p~n\", [net_adm:ping(" + target +
          ")]),"
          "{echo, " +
          target +
          "} ! {self(), {hello, [1, 2.5, <<\"bin\">>, #{k => v}]}},"
          "receive M -> io:format(\"~p~n\", [M]) after 5000 -> io:format(\"no reply~n\") end,"
          "io:format(\"~p~n\", [lists:member(" +
          target +
          ", nodes())]),"
          "halt().");
  ASSERT_EQ(erl.exit_code, 0) << erl.err;
  EXPECT_EQ(erl.out, "pong\n{hello,[1,2.5,<<\"bin\">>,#{k => v}]}\ntrue\n") << node.output();
  EXPECT_TRUE(
      testing::eventually([&] { return node.output().find("nodeup") != std::string::npos; }, 5s))
      << node.output();
  EXPECT_EQ(node.stop(SIGTERM, 10s), 0) << node.output();
}

TEST_F(CliNodeTest, HiddenNodeIsNotInNodes) {
  std::string bl = testing::unique_node_name("hid");
  ChildProcess node = start_beamlink_node(bl, {"--hidden"});
  std::string target = "'" + bl + "@127.0.0.1'";
  ProcessResult erl =
      erl_script(testing::unique_node_name("erl"), "pong = net_adm:ping(" + target +
                                                       "),"
                                                       "io:format(\"~p ~p~n\", [lists:member(" +
                                                       target +
                                                       ", nodes()),"
                                                       " lists:member(" +
                                                       target +
                                                       ", nodes(hidden))]),"
                                                       "halt().");
  ASSERT_EQ(erl.exit_code, 0) << erl.err << node.output();
  EXPECT_EQ(erl.out, "false true\n");
}

TEST_F(CliNodeTest, PingRpcAndSendToRealErl) {
  std::string erl_name = testing::unique_node_name("erl");
  ChildProcess erl = start_erl_node(erl_name,
                                    "register(sink, self()), receive M -> io:format(\"sink got "
                                    "~p~n\", [M]) end, timer:sleep(60000).");
  std::string target = erl_name + "@127.0.0.1";

  ProcessResult ping = cli({"ping", target, "--cookie", cookie_});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_EQ(trim(ping.out), "pong");

  ProcessResult rpc = cli({"rpc", target, "lists", "reverse", "[[1,2,3]]", "--cookie", cookie_});
  EXPECT_EQ(rpc.exit_code, 0) << rpc.err;
  EXPECT_EQ(trim(rpc.out), "[3,2,1]");

  ProcessResult node_name = cli({"rpc", target, "erlang", "node", "[]", "--cookie", cookie_});
  EXPECT_EQ(trim(node_name.out), "'" + target + "'") << node_name.err;

  // erl's -eval registers sink after its distribution is up (under load, well
  // after a ping answers): a send before that is dropped by erl itself.
  ASSERT_TRUE(testing::eventually(
      [&] {
        return trim(cli({"rpc", target, "erlang", "whereis", "[sink]", "--cookie", cookie_}).out) !=
               "undefined";
      },
      10s));
  ProcessResult send =
      cli({"send", target, "sink", "{hello,<<\"from beamlink\">>}", "--cookie", cookie_});
  EXPECT_EQ(send.exit_code, 0) << send.err;
  EXPECT_TRUE(testing::eventually(
      [&] {
        return erl.output().find("sink got {hello,<<\"from beamlink\">>}") != std::string::npos;
      },
      10s))
      << erl.output();
}

TEST_F(CliNodeTest, RpcReachesBuiltinsOfABeamlinkNode) {
  std::string bl = testing::unique_node_name("rpcbl");
  ChildProcess node = start_beamlink_node(bl);
  std::string target = bl + "@127.0.0.1";
  ProcessResult r = cli({"rpc", target, "erlang", "node", "[]", "--cookie", cookie_});
  EXPECT_EQ(r.exit_code, 0) << r.err << node.output();
  EXPECT_EQ(trim(r.out), "'" + target + "'");
  ProcessResult whereis = cli({"rpc", target, "erlang", "whereis", "[echo]", "--cookie", cookie_});
  EXPECT_EQ(whereis.exit_code, 0) << whereis.err;
  EXPECT_EQ(trim(whereis.out).substr(0, 1), "<") << whereis.out;
}

TEST_F(CliNodeTest, WrongCookieIsAClearErrorOnBothSides) {
  std::string bl = testing::unique_node_name("ck");
  ChildProcess node = start_beamlink_node(bl);
  ProcessResult r = cli({"ping", bl + "@127.0.0.1", "--cookie", "not-the-cookie"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(trim(r.out), "pang");
  EXPECT_NE(r.err.find("cookie"), std::string::npos) << r.err;
  EXPECT_TRUE(testing::eventually(
      [&] { return node.output().find("wrong cookie") != std::string::npos; }, 5s))
      << node.output();
}

TEST_F(CliNodeTest, NodedownIsLoggedWhenErlIsKilled) {
  std::string bl = testing::unique_node_name("down");
  ChildProcess node = start_beamlink_node(bl);
  std::string erl_name = testing::unique_node_name("victim");
  ChildProcess erl =
      start_erl_node(erl_name, "pong = net_adm:ping('" + bl + "@127.0.0.1'), timer:sleep(60000).");
  ASSERT_TRUE(testing::eventually(
      [&] { return node.output().find("nodeup " + erl_name) != std::string::npos; }, 10s))
      << node.output();
  // The connection must be up and stay up until the kill.
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(node.output().find("nodedown " + erl_name), std::string::npos) << node.output();
  auto killed_at = std::chrono::steady_clock::now();
  erl.stop(SIGKILL);
  ASSERT_TRUE(testing::eventually(
      [&] { return node.output().find("nodedown " + erl_name) != std::string::npos; }, 10s))
      << node.output();
  auto seen = std::chrono::steady_clock::now() - killed_at;
  EXPECT_LT(seen, 5s) << "nodedown should follow a kill -9 within seconds";
}

TEST_F(CliNodeTest, ElixirConnectsListsAndCallsTheNode) {
  std::string bl = testing::unique_node_name("exbl");
  ChildProcess node = start_beamlink_node(bl);
  std::string target = bl + "@127.0.0.1";
  std::string script = "true = Node.connect(:\"" + target +
                       "\"); IO.inspect(Node.list()); "
                       "IO.inspect(:rpc.call(:\"" +
                       target + "\", :erlang, :node, []))";
  ProcessResult ex =
      testing::run_process({"env", "ERL_EPMD_PORT=" + port_, "elixir", "--name",
                            testing::unique_node_name("ex") + "@127.0.0.1", "--cookie", cookie_,
                            "--erl", "-kernel inet_dist_use_interface {127,0,0,1}", "-e", script},
                           "", 60s);
  ASSERT_EQ(ex.exit_code, 0) << "elixir failed (is elixir installed?): " << ex.err << ex.out;
  EXPECT_EQ(ex.out, "[:\"" + target + "\"]\n:\"" + target + "\"\n") << node.output();
}

}  // namespace
}  // namespace beamlink
