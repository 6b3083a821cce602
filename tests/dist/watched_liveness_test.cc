// Watching among beamlink peers (peer_watch.h) with real sockets and
// hand-driven peers: a peer this node does not watch is not dropped for
// silence, one it watches is and the others hear of it, and a suspicion
// from another node is checked with a ping: a peer that answers is kept,
// one that does not is dropped.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dist/connection.h"
#include "dist/distribution_impl.h"
#include "dist/epmd_fixture.h"
#include "dist/liveness_messages.h"
#include "dist/raw_peer.h"
#include "dist/test_sink.h"

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::RawPeer;
using testing::TestSink;

const std::string kNode = "a@127.0.0.1";
const std::string kR1 = "r1@127.0.0.1";
const std::string kR2 = "r2@127.0.0.1";

class WatchedLivenessTest : public testing::LoopbackEpmdTest {
 protected:
  // One watcher per node: on the ring a, r1, r2, a watches only r2.
  std::unique_ptr<Distribution> start(TestSink& sink, std::chrono::milliseconds probe,
                                      std::chrono::milliseconds timeout) {
    DistOptions o = loopback_options(kNode, "cookie");
    o.setup_time = 5s;
    o.liveness_probe = probe;
    o.liveness_timeout = timeout;
    o.liveness_watchers = 1;
    return start_distribution(o, sink);
  }

  static void say(RawPeer& raw, const std::string& from, const LivenessMessage& message) {
    const auto encoded = encode_liveness(message, from, 17);
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(append_message(bytes, encoded.control, &encoded.payload, SendFormat{}, 1));
    raw.write(bytes);
  }
  static LivenessMessage of(LivenessMessage::Kind kind, const std::string& node = "") {
    LivenessMessage message;
    message.kind = kind;
    message.node = node;
    message.silent_ms = 1500;
    return message;
  }

  // Polls `done` every 10 ms for up to 20 s.
  static bool eventually(const std::function<bool()>& done) {
    for (const auto deadline = Clock::now() + 20s; Clock::now() < deadline;) {
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  static std::shared_ptr<const ConnectionImpl> connection(const Distribution& d,
                                                          const std::string& name) {
    return std::dynamic_pointer_cast<const ConnectionImpl>(d.connection(name));
  }

  // r2 first, then r1: on the ring a, r1, r2 a watches only r2, and r1 is
  // never watched on the way there.
  void join_both(Distribution& a, RawPeer& r1, RawPeer& r2) {
    ASSERT_EQ(r2.handshake(kR2, "cookie", kNode), "");
    say(r2, kR2, of(LivenessMessage::Kind::hello));
    ASSERT_TRUE(eventually([&] {
      const auto c = connection(a, kR2);
      return c != nullptr && c->beamlink_peer();
    }));
    ASSERT_EQ(r1.handshake(kR1, "cookie", kNode), "");
    say(r1, kR1, of(LivenessMessage::Kind::hello));
    ASSERT_TRUE(eventually([&] {
      const auto c = connection(a, kR1);
      return c != nullptr && c->beamlink_peer();
    }));
  }

  // The next liveness message of `kind` that `raw` reads, if any in ~5 s.
  static std::optional<LivenessMessage> next_of(RawPeer& raw, LivenessMessage::Kind kind) {
    for (int i = 0; i < 50; ++i) {
      auto message = raw.next_message();
      if (!message) return std::nullopt;
      auto decoded =
          decode_liveness(message->control, message->payload ? &*message->payload : nullptr);
      if (decoded && decoded->kind == kind) return decoded;
    }
    return std::nullopt;
  }

  static std::string reason_for(TestSink& sink, const std::string& name) {
    for (const auto& [connection, reason] : sink.down_events()) {
      if (connection->peer().name == name) return reason;
    }
    return "";
  }
};

TEST_F(WatchedLivenessTest, OnlyTheWatchedPeerIsDroppedForSilenceAndTheOthersHearOfIt) {
  TestSink sink;
  auto a = start(sink, 200ms, 1000ms);
  RawPeer r1(a->listen_port());
  RawPeer r2(a->listen_port());
  join_both(*a, r1, r2);
  const auto* watch = dynamic_cast<const DistributionImpl&>(*a).peer_watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_EQ(watch->watching(), std::vector<std::string>{kR2});
  // a asks r2 for fast ticks.
  ASSERT_TRUE(next_of(r2, LivenessMessage::Kind::watch));
  // Both are silent from now on. r2, watched, is dropped by the detector ...
  ASSERT_TRUE(sink.wait([&] { return sink.downs_locked() >= 1; }));
  EXPECT_NE(reason_for(sink, kR2).find("no answer from " + kR2), std::string::npos)
      << reason_for(sink, kR2);
  // ... r1, silent as long, is not even probed (a beamlink peer it does not
  // watch: Erlang's pace and net_ticktime).
  EXPECT_NE(a->connection(kR1), nullptr) << reason_for(sink, kR1);
  EXPECT_EQ(connection(*a, kR1)->stats().probes_sent.load(), 0u);
  // And r1 hears that a dropped r2.
  const auto suspect = next_of(r1, LivenessMessage::Kind::suspect);
  ASSERT_TRUE(suspect);
  EXPECT_EQ(suspect->node, kR2);
  EXPECT_GE(suspect->silent_ms, 1000);
}

TEST_F(WatchedLivenessTest, ASuspectThatDoesNotAnswerThePingIsDropped) {
  TestSink sink;
  auto a = start(sink, 200ms, 1000ms);
  RawPeer r1(a->listen_port());
  RawPeer r2(a->listen_port());
  join_both(*a, r1, r2);
  say(r2, kR2, of(LivenessMessage::Kind::suspect, kR1));
  ASSERT_TRUE(sink.wait([&] {
    for (const auto& [connection, reason] : sink.down_events_locked()) {
      if (connection->peer().name == kR1) return true;
    }
    return false;
  }));
  EXPECT_NE(reason_for(sink, kR1).find("suspected by another node"), std::string::npos)
      << reason_for(sink, kR1);
  // It was asked first.
  EXPECT_TRUE(next_of(r1, LivenessMessage::Kind::ping));
}

TEST_F(WatchedLivenessTest, ASuspectThatAnswersThePingIsKept) {
  TestSink sink;
  auto a = start(sink, 1000ms, 1500ms);  // a 400 ms window for this test's thread to answer
  RawPeer r1(a->listen_port());
  RawPeer r2(a->listen_port());
  join_both(*a, r1, r2);
  say(r2, kR2, of(LivenessMessage::Kind::suspect, kR1));
  ASSERT_TRUE(next_of(r1, LivenessMessage::Kind::ping));
  r1.write({0, 0, 0, 0});  // a tick: alive
  const auto c1 = connection(*a, kR1);
  ASSERT_NE(c1, nullptr);
  ASSERT_TRUE(eventually([&] { return c1->stats().verifications_answered.load() == 1; }));
  EXPECT_EQ(c1->stats().verifications.load(), 1u);
  EXPECT_EQ(reason_for(sink, kR1), "");
  EXPECT_FALSE(c1->closed());
}

}  // namespace
}  // namespace beamlink::dist
