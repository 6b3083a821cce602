// gen_server both ways with real Elixir (1.14) and erl (OTP 25) nodes:
// GenServer.call/cast and :sys.get_state/get_status reaching a C++ server,
// a C++ handler's crash seen by the Elixir and erl callers as a crashed
// gen_server's exit; C++ calling an Elixir GenServer (reply, cast, timeout
// with no late reply left behind, noproc, noconnection on kill -9, the
// callee's exit reason); `beamlink call` / `cast` against Elixir and a
// `beamlink node` child.
//
// Each test runs beamlink's EPMD in-process on 127.0.0.1 with an ephemeral
// port, its own names and cookie, and stops by pid only what it started.
#include "beamlink/gen_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

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
using testing::eventually;
using testing::unique_node_name;

const std::string kCli = BEAMLINK_CLI_PATH;

Term A(std::string_view name) {
  return Term::atom(name);
}
template <class... Ts>
Term T(Ts&&... items) {
  return Term::tuple({Term(std::forward<Ts>(items))...});
}
std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// {add, N} -> total; get -> total; {later, _} -> deferred; boom -> throws.
class Counter final : public GenServer {
 public:
  Reply handle_call(const Term& request, const From& from) override {
    if (request.is_atom("get")) return Term(total_.load());
    if (request.is_atom("boom")) throw std::runtime_error("boom");
    const Tuple* t = request.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is_atom("add") &&
        t->elements[1].is<int64_t>()) {
      return Term(total_ += t->elements[1].as<int64_t>());
    }
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is_atom("later")) {
      std::lock_guard lock(mu_);
      waiting_.push_back(from);
      return Reply::later();
    }
    return T(A("unknown"), request);
  }
  void handle_cast(const Term& request) override {
    const Tuple* t = request.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 2 && t->elements[1].is<int64_t>()) {
      total_ += t->elements[1].as<int64_t>();
    }
  }
  Term state() const override { return T(A("total"), total_.load()); }

  size_t waiting() {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }
  void answer_all(const Term& value) {
    std::vector<From> all;
    {
      std::lock_guard lock(mu_);
      all.swap(waiting_);
    }
    for (const From& from : all) reply(from, value);
  }

 private:
  std::atomic<int64_t> total_{0};
  std::mutex mu_;
  std::vector<From> waiting_;
};

// An Elixir GenServer registered as :gs_echo.
constexpr const char* kElixirServer = R"ex(
defmodule GsEcho do
  use GenServer
  def init(state), do: {:ok, state}
  def handle_call(:never, _from, state), do: {:noreply, state}
  def handle_call(:get, _from, state), do: {:reply, state, state}
  def handle_call(:crash, _from, _state), do: exit(:crashed_on_purpose)
  def handle_call({:late, ms}, from, state) do
    Process.send_after(self(), {:answer, from}, ms)
    {:noreply, state}
  end
  def handle_call({:sleep, notify, ms}, _from, state) do
    send(notify, :sleeping)
    Process.sleep(ms)
    {:reply, :woke, state}
  end
  def handle_call(request, _from, state), do: {:reply, {:echo, request}, state}
  def handle_cast({:store, x}, _state), do: {:noreply, x}
  def handle_info({:answer, from}, state) do
    GenServer.reply(from, :too_late)
    {:noreply, state}
  end
end
{:ok, _} = GenServer.start(GsEcho, :empty, name: :gs_echo)
:ok
)ex";

class GenServerInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
    cookie_ = "gen-server-" + unique_node_name("c");
    NodeOptions node_options;
    node_options.name = unique_node_name("cpp") + "@127.0.0.1";
    node_options.cookie = cookie_;
    node_options.listen_address = "127.0.0.1";
    node_options.epmd_port = epmd_->port();
    node_options.worker_threads = 2;
    auto node = Node::start(std::move(node_options));
    ASSERT_TRUE(node) << node.error().to_string();
    node_ = std::move(*node);
    auto pid = node_->start_server(counter_, {.register_as = "Elixir.MyServer"});
    ASSERT_TRUE(pid) << pid.error().to_string();
  }

  std::optional<ErlPeer> start_peer(bool elixir) {
    testing::ErlPeerOptions options;
    options.alive = unique_node_name(elixir ? "ex" : "erl");
    options.cookie = cookie_;
    options.epmd_port = epmd_->port();
    options.elixir = elixir;
    auto peer = ErlPeer::start(options, *node_);
    EXPECT_TRUE(peer) << peer.error();
    if (!peer) return std::nullopt;
    return std::move(*peer);
  }

  std::optional<ErlPeer> start_elixir_with_server() {
    auto peer = start_peer(true);
    if (!peer) return peer;
    auto started = peer->eval(*node_, kElixirServer);
    EXPECT_TRUE(started) << started.error().to_string();
    return peer;
  }

  Term eval(ErlPeer& peer, const std::string& source) {
    auto value = peer.eval(*node_, source, A(node_->name()));
    EXPECT_TRUE(value) << value.error().to_string();
    return value ? *value : A("eval_failed");
  }

  testing::ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "ERL_EPMD_PORT=" + std::to_string(epmd_->port()), kCli});
    args.insert(args.end(), {"--cookie", cookie_});
    return testing::run_process(args, "", 30s);
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
  std::unique_ptr<Node> node_;
  std::shared_ptr<Counter> counter_ = std::make_shared<Counter>();
};

TEST_F(GenServerInteropTest, ElixirCallsCastsAndInspectsACppServer) {
  auto ex = start_peer(true);
  ASSERT_TRUE(ex);
  EXPECT_EQ(eval(*ex, "GenServer.call({MyServer, arg}, {:add, 2})"), Term(2));
  EXPECT_EQ(eval(*ex, "GenServer.cast({MyServer, arg}, {:add, 3})"), A("ok"));
  EXPECT_EQ(eval(*ex, "GenServer.call({MyServer, arg}, :get)"), Term(5));
  EXPECT_EQ(format_term(eval(*ex, ":sys.get_state({MyServer, arg})")), "{total,5}");
  EXPECT_EQ(eval(*ex,
                 "match?({:status, _, {:module, :gen_server}, [_, :running, _, _, _]}, "
                 ":sys.get_status({MyServer, arg}))"),
            A("true"));

  // A deferred reply, made from this test's thread, to a caller that sends
  // what it got to `sink`.
  auto sink = node_->spawn();
  ASSERT_TRUE(sink);
  auto spawned = ex->eval(*node_,
                          "{n, sink} = arg; spawn(fn -> send(sink, {:got, "
                          "GenServer.call({MyServer, n}, {:later, 1})}) end); :ok",
                          T(A(node_->name()), sink->pid()));
  ASSERT_TRUE(spawned) << spawned.error().to_string();
  ASSERT_TRUE(eventually([&] { return counter_->waiting() == 1; }, 5s));
  counter_->answer_all(A("answered_later"));
  EXPECT_EQ(format_term(sink->receive(5s).value_or(A("nothing"))), "{got,answered_later}");

  // A C++ exception: the Elixir caller exits as from a crashed gen_server.
  Term exit_reason =
      eval(*ex, "try do GenServer.call({MyServer, arg}, :boom) catch :exit, r -> r end");
  EXPECT_EQ(format_term(exit_reason), "{{cpp_exception,<<\"boom\">>},{'Elixir.GenServer',call,[{" +
                                          std::string("'Elixir.MyServer','") + node_->name() +
                                          "'},boom,5000]}}");
  EXPECT_EQ(node_->gen_server_stats().crashes, 1u);
  EXPECT_FALSE(node_->whereis("Elixir.MyServer"));
  EXPECT_EQ(eval(*ex, "Node.ping(arg)"), A("pong"));  // the node lives on
}

TEST_F(GenServerInteropTest, ErlCallsACppServerAndCppCallsErlsRex) {
  auto erl = start_peer(false);
  ASSERT_TRUE(erl);
  EXPECT_EQ(eval(*erl, "gen_server:call({'Elixir.MyServer', Arg}, {add, 4})"), Term(4));
  EXPECT_EQ(format_term(eval(*erl, "sys:get_state({'Elixir.MyServer', Arg})")), "{total,4}");
  EXPECT_EQ(format_term(eval(*erl, "sys:suspend({'Elixir.MyServer', Arg})")),
            "{error,{unknown_system_msg,suspend}}");
  Term crash = eval(*erl, "catch gen_server:call({'Elixir.MyServer', Arg}, boom)");
  EXPECT_EQ(format_term(crash), "{'EXIT',{{cpp_exception,<<\"boom\">>},{gen_server,call,[{" +
                                    std::string("'Elixir.MyServer','") + node_->name() +
                                    "'},boom]}}}");

  // rex is a gen_server too: rpc's request through the C++ call.
  auto caller = node_->spawn();
  ASSERT_TRUE(caller);
  auto r = node_->call(*caller, ServerRef::remote("rex", erl->name()),
                       T(A("call"), A("erlang"), A("node"), Term::list({}), caller->pid()), 10s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, A(erl->name()));
  auto missing = node_->call(ServerRef::remote("no_such_server", erl->name()), A("x"), 5s);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, CallFailure::noproc);
}

TEST_F(GenServerInteropTest, CppCallsAnElixirGenServer) {
  auto ex = start_elixir_with_server();
  ASSERT_TRUE(ex);
  ServerRef gs = ServerRef::remote("gs_echo", ex->name());
  auto r = node_->call(gs, T(A("hello"), Term::binary("x")), 5s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(format_term(*r), "{echo,{hello,<<\"x\">>}}");
  node_->cast(gs, T(A("store"), 42));
  r = node_->call(gs, A("get"), 5s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(42));

  // The same without a waiting thread.
  auto promise = std::make_shared<std::promise<CallReply>>();
  auto future = promise->get_future();
  node_->call_async(gs, A("async"), 5s,
                    [promise](CallReply outcome) { promise->set_value(std::move(outcome)); });
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  r = future.get();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(format_term(*r), "{echo,async}");

  // A server that never replies.
  r = node_->call(gs, A("never"), 200ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::timeout);

  // A reply after the timeout is dropped at the inactive alias.
  auto self = node_->spawn();
  ASSERT_TRUE(self);
  uint64_t dropped = node_->stats().dropped_unknown_alias;
  r = node_->call(*self, gs, T(A("late"), 300), 100ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::timeout);
  EXPECT_TRUE(eventually([&] { return node_->stats().dropped_unknown_alias > dropped; }, 5s));
  EXPECT_EQ(self->mailbox_size(), 0u);
  EXPECT_FALSE(self->receive(100ms).has_value());

  r = node_->call(ServerRef::remote("nobody", ex->name()), A("get"), 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);

  r = node_->call(gs, A("crash"), 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::exited);
  EXPECT_EQ(r.error().reason, A("crashed_on_purpose"));
}

TEST_F(GenServerInteropTest, KilledElixirNodeIsNoconnection) {
  auto ex = start_elixir_with_server();
  ASSERT_TRUE(ex);
  auto notify = node_->spawn();
  ASSERT_TRUE(notify);
  std::optional<CallReply> outcome;
  std::thread caller([&] {
    outcome = node_->call(ServerRef::remote("gs_echo", ex->name()),
                          T(A("sleep"), notify->pid(), 30000), 20s);
  });
  auto sleeping = notify->receive(10s);
  EXPECT_EQ(sleeping, A("sleeping"));
  auto started = std::chrono::steady_clock::now();
  ex->process().stop(SIGKILL);
  caller.join();
  ASSERT_TRUE(outcome && !*outcome);
  EXPECT_EQ(outcome->error().kind, CallFailure::noconnection);
  EXPECT_EQ(outcome->error().reason, T(A("nodedown"), A(ex->name())));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);  // not the call's 20 s timeout
}

TEST_F(GenServerInteropTest, CliCallAndCastAgainstElixirAndABeamlinkNode) {
  auto ex = start_elixir_with_server();
  ASSERT_TRUE(ex);
  auto out = cli({"call", ex->name(), "gs_echo", "{hi,[1,2]}"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(trim(out.out), "{echo,{hi,[1,2]}}");
  out = cli({"cast", ex->name(), "gs_echo", "{store,7}"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  out = cli({"call", ex->name(), "gs_echo", "get"});
  EXPECT_EQ(trim(out.out), "7") << out.err;
  out = cli({"call", ex->name(), "nobody", "get"});
  EXPECT_EQ(out.exit_code, 4) << out.err;
  EXPECT_NE(out.err.find("noproc"), std::string::npos) << out.err;
  out = cli({"call", ex->name(), "gs_echo", "never", "--timeout", "300"});
  EXPECT_EQ(out.exit_code, 3) << out.err;
  EXPECT_NE(out.err.find("timeout"), std::string::npos) << out.err;
  out = cli({"call", ex->name(), "gs_echo", "crash"});
  EXPECT_EQ(out.exit_code, 6) << out.err;
  EXPECT_NE(out.err.find("exit crashed_on_purpose"), std::string::npos) << out.err;
  out = cli({"call", ex->name(), "gs_echo", "{unclosed"});
  EXPECT_EQ(out.exit_code, 2) << out.err;

  // A `beamlink node` child: its `echo` answers calls with the request.
  std::string bl = unique_node_name("bl") + "@127.0.0.1";
  auto child = testing::ChildProcess::spawn(
      {kCli, "node", "--name", bl, "--cookie", cookie_, "--listen-address", "127.0.0.1"},
      {{"ERL_EPMD_PORT", std::to_string(epmd_->port())}});
  ASSERT_TRUE(child) << child.error();
  ASSERT_TRUE(eventually([&] { return node_->ping(bl, 1s); }, 15s)) << child->output();
  out = cli({"call", bl, "echo", "{hello,<<\"bin\">>,#{k => v}}"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(trim(out.out), "{hello,<<\"bin\">>,#{k => v}}");
  out = cli({"cast", bl, "echo", "ignored"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  // The {Pid, Term} echo still works.
  auto self = node_->spawn();
  self->send("echo", bl, T(self->pid(), A("still_echoes")));
  EXPECT_EQ(self->receive(5s), A("still_echoes"));
  out = cli({"call", unique_node_name("gone") + "@127.0.0.1", "echo", "x", "--timeout", "3000"});
  EXPECT_EQ(out.exit_code, 5) << out.err;
  EXPECT_NE(out.err.find("noconnection"), std::string::npos) << out.err;
  EXPECT_EQ(child->stop(SIGTERM, 10s), 0) << child->output();
}

}  // namespace
}  // namespace beamlink
