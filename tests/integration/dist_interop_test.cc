// The distribution layer against real erl nodes (OTP 25): connecting both
// ways, net_adm:ping, messages to registered processes both ways, 10 MiB
// binaries (fragmented), wrong cookies, simultaneous connects and failure
// detection after kill -9 and SIGSTOP.
//
// Every test runs beamlink's own EPMD daemon in-process on 127.0.0.1 with an
// ephemeral port, picks unique node names, keeps every distribution port on
// loopback (inet_dist_use_interface), stops by pid only the erl it started,
// and bounds every wait. A missing erl fails the test; it never skips.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "dist/control_message.h"
#include "dist/epmd_fixture.h"
#include "dist/test_sink.h"
#include "integration/support/child_process.h"
#include "integration/support/test_env.h"

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using beamlink::testing::ChildProcess;
using beamlink::testing::eventually;
using beamlink::testing::unique_node_name;
using Clock = std::chrono::steady_clock;

// The erl side. BL_PEER names our node; BL_MODE picks what it does at boot:
// "serve" waits; "connect" dials us (retrying) and pings; "at" dials us at
// os:system_time(millisecond) >= BL_AT. Every mode then registers `echo`
// (answers {From, Msg} with {echo, Msg}) and `driver`, which on request
// sends to our registered `sink` and prints what comes back.
constexpr const char* kErlScript = R"erl(
Us = list_to_atom(os:getenv("BL_PEER")),
Echo = fun Loop() -> receive {From, Msg} -> From ! {echo, Msg}, Loop(); _ -> Loop() end end,
register(echo, spawn(Echo)),
Driver = fun Drive() ->
  receive
    {send_to_us, T} ->
      {sink, Us} ! {self(), T},
      receive {reply, R} -> io:format("reply=~p~n", [R]) after 10000 -> io:format("reply=timeout~n") end,
      Drive();
    {send_big_to_us, N} ->
      B = binary:copy(<<7>>, N),
      {sink, Us} ! {self(), B},
      receive {reply, R} when is_binary(R) -> io:format("big_reply=~p,~p~n", [byte_size(R), R =:= B])
      after 20000 -> io:format("big_reply=timeout~n") end,
      Drive();
    print_nodes -> io:format("nodes=~p~n", [nodes()]), Drive();
    _ -> Drive()
  end end,
register(driver, spawn(Driver)),
case os:getenv("BL_MODE") of
  "connect" ->
    Try = fun T(0) -> false; T(N) -> case net_kernel:connect_node(Us) of true -> true; false -> timer:sleep(100), T(N - 1) end end,
    io:format("connect=~p~n", [Try(30)]),
    io:format("ping=~p~n", [net_adm:ping(Us)]);
  "connect_once" ->
    io:format("connect=~p~n", [net_kernel:connect_node(Us)]);
  "at" ->
    At = list_to_integer(os:getenv("BL_AT")),
    Wait = fun W() -> case os:system_time(millisecond) >= At of true -> ok; false -> timer:sleep(1), W() end end,
    Wait(),
    io:format("connect=~p~n", [net_kernel:connect_node(Us)]);
  _ -> ok
end,
io:format("ready~n"),
receive after infinity -> ok end.
)erl";

class DistInteropTest : public testing::LoopbackEpmdTest {
 protected:
  DistOptions options(const std::string& tag, const std::string& cookie = "interop_cookie") {
    DistOptions o = loopback_options(unique_node_name(tag) + "@127.0.0.1", cookie);
    o.logger = [this](LogLevel, std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    return o;
  }

  std::unique_ptr<Distribution> start_us(const DistOptions& o) {
    auto started = Distribution::start(o, sink_);
    EXPECT_TRUE(started) << started.error().to_string();
    return started ? std::move(*started) : nullptr;
  }

  ChildProcess start_erl(const std::string& erl_name, const std::string& us,
                         const std::string& mode, const std::string& cookie = "interop_cookie",
                         const std::string& at = "0") {
    auto child = ChildProcess::spawn(
        {"erl", "-name", erl_name + "@127.0.0.1", "-setcookie", cookie, "-kernel",
         "inet_dist_use_interface", "{127,0,0,1}", "-noshell", "-eval", kErlScript},
        {{"ERL_EPMD_PORT", std::to_string(epmd_->port())},
         {"BL_PEER", us},
         {"BL_MODE", mode},
         {"BL_AT", at},
         {"ERL_CRASH_DUMP_SECONDS", "0"}});  // no erl_crash.dump in the working directory
    if (!child) {
      ADD_FAILURE() << "cannot start erl (is erlang-base installed?): " << child.error();
      return ChildProcess::spawn({"true"}).value();
    }
    return std::move(*child);
  }

  // Waits until the erl printed a line starting with `prefix`; returns it.
  static std::string wait_line(ChildProcess& erl, const std::string& prefix,
                               std::chrono::milliseconds limit = 30s) {
    std::string found;
    eventually(
        [&] {
          const std::string out = erl.output();
          const auto at = out.find(prefix);
          if (at == std::string::npos) return false;
          found = out.substr(at, out.find('\n', at) - at);
          return true;
        },
        limit);
    return found;
  }

  bool registered(const std::string& alive) {
    for (const auto& row : epmd_->registered()) {
      if (row.node.name == alive) return true;
    }
    return false;
  }

  std::string log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  Term our_pid(const Distribution& us, uint32_t id = kFirstProcessId + 1) {
    return Term(Pid{Atom(us.node_name()), id, 0, us.creation()});
  }

  // Sends `payload` as {OurPid, payload} to the erl's registered `echo`.
  static void send_to_echo(Connection& connection, const Term& from, const std::string& name,
                           const Term& payload) {
    const Term control = Term::tuple({REG_SEND, from, Term::atom(""), Term::atom(name)});
    const Term message = Term::tuple({from, payload});
    ASSERT_TRUE(connection.send(control, &message));
  }

  testing::TestSink sink_;
  std::mutex log_mutex_;
  std::string log_;
};

TEST_F(DistInteropTest, ErlConnectsToUsAndPingsPong) {
  auto us = start_us(options("us"));
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "connect");
  EXPECT_EQ(wait_line(erl, "connect="), "connect=true") << erl.output() << log();
  EXPECT_EQ(wait_line(erl, "ping="), "ping=pong") << erl.output() << log();
  ASSERT_GE(sink_.ups(), 1u);
  auto connection = us->connection(erl_name + "@127.0.0.1");
  ASSERT_TRUE(connection);
  EXPECT_FALSE(connection->peer().hidden);
  EXPECT_GT(sink_.probes_answered(), 0u);  // ping is net_kernel's is_auth call
}

TEST_F(DistInteropTest, WeConnectToErlAndExchangeWithRegisteredProcessesBothWays) {
  auto us = start_us(options("us"));
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "serve");
  ASSERT_EQ(wait_line(erl, "ready"), "ready") << erl.output();
  const auto before = Clock::now();
  auto connection = us->connect_sync(erl_name + "@127.0.0.1");
  const auto handshake_ms =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - before).count() / 1000.0;
  ASSERT_TRUE(connection) << connection.error().to_string() << "\n" << log() << erl.output();
  std::printf("[ measure ] connect_sync to erl (EPMD lookup + TCP + handshake): %.2f ms\n",
              handshake_ms);

  // us -> erl's echo -> back to our pid.
  const Term from = our_pid(*us);
  send_to_echo(**connection, from, "echo", Term::atom("hello"));
  ASSERT_TRUE(sink_.wait_payload(Term::tuple({Term::atom("echo"), Term::atom("hello")})))
      << erl.output();

  // erl -> our registered sink -> reply back to erl's driver.
  const Term command =
      Term::tuple({Term::atom("send_to_us"), Term::tuple({Term::atom("hi"), Term(42)})});
  (*connection)
      ->send(Term::tuple({REG_SEND, from, Term::atom(""), Term::atom("driver")}), &command);
  EXPECT_EQ(wait_line(erl, "reply="), "reply={hi,42}") << erl.output() << log();
}

TEST_F(DistInteropTest, TenMebibyteBinariesBothWays) {
  auto us = start_us(options("us"));
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "serve");
  ASSERT_EQ(wait_line(erl, "ready"), "ready") << erl.output();
  auto connection = us->connect_sync(erl_name + "@127.0.0.1");
  ASSERT_TRUE(connection) << connection.error().to_string();

  constexpr size_t kSize = 10u << 20;
  std::vector<uint8_t> bytes(kSize);
  for (size_t i = 0; i < kSize; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  const Term big = Term::binary(std::span<const uint8_t>(bytes));
  const Term from = our_pid(*us);
  const auto started = Clock::now();
  send_to_echo(**connection, from, "echo", big);
  ASSERT_TRUE(sink_.wait(
      [&] {
        for (const auto& m : sink_.messages_locked()) {
          if (m.payload && m.payload->element(1) != nullptr && *m.payload->element(1) == big)
            return true;
        }
        return false;
      },
      60s))
      << erl.output() << log();
  std::printf(
      "[ measure ] 10 MiB round trip us -> erl -> us: %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()));

  const Term command = Term::tuple({Term::atom("send_big_to_us"), Term(uint64_t{kSize})});
  (*connection)
      ->send(Term::tuple({REG_SEND, from, Term::atom(""), Term::atom("driver")}), &command);
  EXPECT_EQ(wait_line(erl, "big_reply=", 60s), "big_reply=10485760,true") << erl.output() << log();
  EXPECT_TRUE((*connection)->closed() == false);
}

TEST_F(DistInteropTest, WrongCookieIsRefusedBothWaysWithClearLogLines) {
  auto us = start_us(options("us", "right_cookie"));
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "connect_once", "wrong_cookie");
  EXPECT_EQ(wait_line(erl, "connect="), "connect=false") << erl.output();
  EXPECT_TRUE(eventually(
      [&] {
        return log().find("connection from " + erl_name + "@127.0.0.1") != std::string::npos &&
               log().find("refused: wrong cookie") != std::string::npos;
      },
      10s))
      << log();

  auto connection = us->connect_sync(erl_name + "@127.0.0.1");
  ASSERT_FALSE(connection);
  EXPECT_NE(connection.error().message.find("wrong cookie"), std::string::npos)
      << connection.error().message;
  EXPECT_NE(log().find("connection to " + erl_name + "@127.0.0.1 refused: wrong cookie"),
            std::string::npos)
      << log();
  EXPECT_EQ(sink_.ups(), 0u);
}

TEST_F(DistInteropTest, SimultaneousConnectEndsWithExactlyOneConnection) {
  for (int round = 0; round < 6; ++round) {
    auto o = options("us" + std::to_string(round));
    testing::TestSink sink;
    auto started = Distribution::start(o, sink);
    ASSERT_TRUE(started) << started.error().to_string();
    auto& us = *started;
    const std::string erl_name = unique_node_name("erl" + std::to_string(round));
    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() +
                    2500;
    // Our attempt starts from 3 ms before to 2 ms after erl's. Attempts only
    // cross when both names are on the wire before either arrives (about a
    // millisecond: both erl and beamlink wait for a handshake already under
    // way instead of dialling), so most rounds resolve without crossing.
    const auto our_start = at - 3 + round;
    auto erl = start_erl(erl_name, us->node_name(), "at", "interop_cookie", std::to_string(at));
    ASSERT_TRUE(eventually([&] { return registered(erl_name); }, 20s)) << erl.output();
    while (std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() < our_start) {
      std::this_thread::sleep_for(200us);
    }
    auto connection = us->connect_sync(erl_name + "@127.0.0.1");
    ASSERT_TRUE(connection) << connection.error().to_string() << "\n" << log();
    EXPECT_EQ(wait_line(erl, "connect="), "connect=true") << erl.output();
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(us->connections().size(), 1u);
    EXPECT_EQ(sink.ups() - sink.downs(), 1u) << "round " << round;
    const Term from = Term(Pid{Atom(us->node_name()), kFirstProcessId, 0, us->creation()});
    const Term print_nodes = Term::atom("print_nodes");
    us->connection(erl_name + "@127.0.0.1")
        ->send(Term::tuple({REG_SEND, from, Term::atom(""), Term::atom("driver")}), &print_nodes);
    EXPECT_EQ(wait_line(erl, "nodes="), "nodes=['" + us->node_name() + "']") << erl.output();
  }
  // How often the attempts really crossed (timing decides; either way one survives).
  size_t crossed = 0;
  const std::string text = log();
  for (auto at = text.find("simultaneous"); at != std::string::npos;
       at = text.find("simultaneous", at + 1)) {
    ++crossed;
  }
  std::printf("[ measure ] simultaneous-connect resolutions logged in 6 rounds: %zu\n", crossed);
}

TEST_F(DistInteropTest, KilledErlIsDetectedQuickly) {
  auto us = start_us(options("us"));
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "serve");
  ASSERT_EQ(wait_line(erl, "ready"), "ready") << erl.output();
  ASSERT_TRUE(us->connect_sync(erl_name + "@127.0.0.1"));
  const auto killed = Clock::now();
  ::kill(erl.pid(), SIGKILL);
  ASSERT_TRUE(sink_.wait([&] { return sink_.downs_locked() >= 1; }, 10s));
  const auto detected = sink_.down_times().front();
  const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(detected - killed).count();
  std::printf("[ measure ] kill -9 of erl -> connection_down: %.2f ms (%s)\n", ms / 1000.0,
              sink_.down_events().front().second.c_str());
  EXPECT_LT(ms, 2'000'000);
}

TEST_F(DistInteropTest, FrozenErlIsDroppedByTheLivenessProbe) {
  auto o = options("us");
  o.liveness_probe = 200ms;
  o.liveness_timeout = 1000ms;
  auto us = start_us(o);
  ASSERT_TRUE(us);
  const std::string erl_name = unique_node_name("erl");
  auto erl = start_erl(erl_name, us->node_name(), "serve");
  ASSERT_EQ(wait_line(erl, "ready"), "ready") << erl.output();
  ASSERT_TRUE(us->connect_sync(erl_name + "@127.0.0.1"));
  std::this_thread::sleep_for(1500ms);  // idle, but the probe keeps it up
  ASSERT_EQ(sink_.downs(), 0u) << log();
  const auto frozen = Clock::now();
  ::kill(erl.pid(), SIGSTOP);
  ASSERT_TRUE(sink_.wait([&] { return sink_.downs_locked() >= 1; }, 10s));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(sink_.down_times().front() - frozen)
          .count();
  std::printf("[ measure ] SIGSTOP of erl -> connection_down: %lld ms (%s)\n",
              static_cast<long long>(ms), sink_.down_events().front().second.c_str());
  EXPECT_LT(ms, 2500);
  ::kill(erl.pid(), SIGCONT);
}

}  // namespace
}  // namespace beamlink::dist
