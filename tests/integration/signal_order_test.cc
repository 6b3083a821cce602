// Signal order against a real erl (OTP 25) node: a beamlink process sends
// messages, links, unlinks, monitors, demonitors and exit signals to an
// erl process that traps exits and records what it receives; the record
// must be exactly the order issued, both when the signals are issued
// before the connection is up (the first one starts it) and over a
// connection already up.
//
// The test runs beamlink's EPMD in-process on 127.0.0.1 with an ephemeral
// port, picks its own names and cookie, and stops by pid only what it
// started.
#include <gtest/gtest.h>

#include <string>

#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "integration/support/erl_peer.h"
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
template <class... Ts>
Term T(Ts&&... items) {
  return Term::tuple({Term(std::forward<Ts>(items))...});
}
Term m(int i) {
  return T(A("m"), i);
}

// A recorder that traps exits and keeps every message, in order, until
// asked for them with {dump, From}.
constexpr const char* kRecorder = R"erl(
spawn(fun() ->
  process_flag(trap_exit, true),
  Loop = fun L(Acc) ->
    receive
      {dump, From} -> From ! {recorded, lists:reverse(Acc)}, L(Acc);
      M -> L([M | Acc])
    end
  end,
  Loop([])
end)
)erl";

constexpr const char* kDump = R"erl(
Arg ! {dump, self()},
receive {recorded, L} -> L after 5000 -> timeout end
)erl";

class SignalOrderInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::start_loopback_epmd();
    ASSERT_TRUE(server) << server.error().to_string();
    epmd_ = std::move(*server);
    cookie_ = "order-" + unique_node_name("c");
    probe_ = start_node(unique_node_name("probe"));
    ASSERT_TRUE(probe_);
    testing::ErlPeerOptions options;
    options.alive = unique_node_name("erl");
    options.cookie = cookie_;
    options.epmd_port = epmd_->port();
    auto peer = ErlPeer::start(options, *probe_);
    ASSERT_TRUE(peer) << peer.error();
    erl_.emplace(std::move(*peer));
    auto recorder = erl_->eval(*probe_, kRecorder);
    ASSERT_TRUE(recorder && recorder->is<Pid>()) << (recorder ? format_term(*recorder) : "");
    recorder_ = recorder->as<Pid>();
  }

  std::unique_ptr<Node> start_node(const std::string& alive) {
    auto node = testing::start_loopback_node(alive, cookie_, epmd_->port());
    EXPECT_TRUE(node) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  // What the recorder holds once it holds `n` messages (or at the deadline).
  std::string recorded(size_t n) {
    std::string last;
    eventually(
        [&] {
          auto got = erl_->eval(*probe_, kDump, Term(recorder_));
          if (!got) return false;
          last = format_term(*got);
          return got->is<List>() && got->as<List>().elements.size() >= n;
        },
        20s);
    return last;
  }

  // The interleaving, from a process of `sender`; returns that process's pid.
  Pid interleave(Node& sender) {
    auto from = sender.spawn();
    EXPECT_TRUE(from);
    from->send(recorder_, m(1));
    from->link(recorder_);
    from->send(recorder_, m(2));
    from->unlink(recorder_);
    from->send(recorder_, m(3));
    from->link(recorder_);
    Reference monitor = from->monitor(recorder_);
    from->send(recorder_, m(4));
    from->demonitor(monitor);
    from->exit_signal(recorder_, T(A("sig"), 1));
    from->send(recorder_, m(5));
    Pid pid = from->pid();
    from->exit(A("boom"));
    return pid;
  }

  static std::string expected(const Pid& from) {
    return format_term(Term::list({m(1), m(2), m(3), m(4), T(A("EXIT"), from, T(A("sig"), 1)), m(5),
                                   T(A("EXIT"), from, A("boom"))}));
  }

  void expect_no_monitors_left() {
    auto info = erl_->eval(*probe_, "erlang:process_info(Arg, monitored_by)", Term(recorder_));
    ASSERT_TRUE(info);
    EXPECT_EQ(format_term(*info), "{monitored_by,[]}");
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::string cookie_;
  std::unique_ptr<Node> probe_;
  std::optional<ErlPeer> erl_;
  Pid recorder_;
};

TEST_F(SignalOrderInteropTest, ErlSeesTheOrderIssuedBeforeTheConnectionIsUp) {
  auto sender = start_node(unique_node_name("sender"));
  ASSERT_TRUE(sender);
  ASSERT_TRUE(sender->nodes().empty());
  Pid from = interleave(*sender);  // the first send starts the connect
  EXPECT_EQ(recorded(7), expected(from));
  expect_no_monitors_left();
}

TEST_F(SignalOrderInteropTest, ErlSeesTheOrderIssuedOverAConnectionUp) {
  auto sender = start_node(unique_node_name("sender"));
  ASSERT_TRUE(sender);
  ASSERT_TRUE(sender->connect(erl_->name()));
  Pid from = interleave(*sender);
  EXPECT_EQ(recorded(7), expected(from));
  expect_no_monitors_left();
}

}  // namespace
}  // namespace beamlink
