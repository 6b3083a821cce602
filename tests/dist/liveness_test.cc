// Liveness and isolation with real sockets: a peer whose one large frame
// trickles in is alive (any bytes are proof of life), the node's one
// TickScheduler ticks every idle connection in the same few rounds, and a
// logger that throws is counted while the node keeps serving.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "dist/connection.h"
#include "dist/distribution_impl.h"
#include "dist/epmd_fixture.h"
#include "dist/raw_peer.h"
#include "dist/test_sink.h"

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::RawPeer;
using testing::TestSink;

class LivenessTest : public testing::LoopbackEpmdTest {
 protected:
  DistOptions options(const std::string& alive) {
    DistOptions o = loopback_options(alive + "@127.0.0.1", "cookie");
    o.setup_time = 5s;
    return o;
  }

  std::unique_ptr<Distribution> start(const DistOptions& o, TestSink& sink) {
    return start_distribution(o, sink);
  }

  static const DistributionImpl& impl(const Distribution& d) {
    return dynamic_cast<const DistributionImpl&>(d);
  }
};

TEST_F(LivenessTest, APeerWhoseLargeFrameTricklesInIsAlive) {
  TestSink sink;
  auto o = options("a");
  o.liveness_probe = 100ms;
  o.liveness_timeout = 500ms;
  auto a = start(o, sink);
  RawPeer raw(a->listen_port());
  ASSERT_EQ(raw.handshake("raw@127.0.0.1", "cookie", "a@127.0.0.1"), "");
  ASSERT_TRUE(sink.wait([&] { return sink.ups_locked() == 1; }));
  // One frame of 1 MB, 2 KB every 100 ms for 3 s: never complete, never
  // silent for long. (Before: only completed frames counted, and the peer
  // was dropped at the liveness timeout.)
  // The body starts as a pass-through message would (112, 131): the reader
  // judges a frame by its first bytes before it buffers the rest.
  raw.write({0, 0x0f, 0x42, 0x40, 112, 131});
  for (int i = 0; i < 30; ++i) {
    raw.write(std::vector<uint8_t>(2048, 0));
    std::this_thread::sleep_for(100ms);  // the peer's pace, not a wait on us
  }
  EXPECT_EQ(sink.downs(), 0u) << (sink.downs() ? sink.down_events()[0].second : "");
  // Then silence: dropped by the detector.
  ASSERT_TRUE(sink.wait([&] { return sink.downs_locked() == 1; }, 10s));
  EXPECT_NE(sink.down_events()[0].second.find("no answer"), std::string::npos);
}

TEST_F(LivenessTest, IdleConnectionsTickTogetherAndWakeTheSchedulerRarely) {
  TestSink sink_a;
  auto oa = options("a");
  oa.liveness_probe = 200ms;  // ticks every 200 ms
  oa.liveness_timeout = 2s;
  oa.liveness_watchers = 0;  // every connection ticks (peer_watch.h thins them out)
  auto a = start(oa, sink_a);
  std::vector<std::unique_ptr<TestSink>> sinks;
  std::vector<std::unique_ptr<Distribution>> peers;
  for (int i = 0; i < 4; ++i) {
    sinks.push_back(std::make_unique<TestSink>());
    auto o = options("p" + std::to_string(i));
    o.liveness_probe = 200ms;
    o.liveness_timeout = 2s;
    o.liveness_watchers = 0;
    peers.push_back(start(o, *sinks.back()));
    ASSERT_TRUE(a->connect_sync(peers.back()->node_name()));
  }
  std::vector<const ConnectionImpl*> connections;
  for (const auto& connection : a->connections()) {
    connections.push_back(&dynamic_cast<const ConnectionImpl&>(*connection));
  }
  ASSERT_EQ(connections.size(), 4u);
  const auto& stats = impl(*a).scheduler().stats();
  const auto ticks = [&](size_t i) { return connections[i]->stats().ticks_sent.load(); };
  const uint64_t rounds = stats.rounds.load();
  std::vector<uint64_t> ticks_before;
  for (size_t i = 0; i < 4; ++i) ticks_before.push_back(ticks(i));
  const auto deadline = Clock::now() + 30s;
  while (ticks(0) < ticks_before[0] + 15 && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polls a counter; bounded by the deadline
  }
  const uint64_t ticked = ticks(0) - ticks_before[0];
  ASSERT_GE(ticked, 15u);
  const uint64_t woke = stats.rounds.load() - rounds;
  // The four idle connections tick in the same rounds (on one grid), and
  // between ticks the scheduler wakes about once more (after the peers'
  // ticks arrived), not once per connection or per slot. (Before, it woke
  // every quarter period and ticked every three quarters: 3 rounds a tick.)
  EXPECT_LE(woke, 2 * ticked + 4) << "rounds " << woke << " for " << ticked << " ticks";
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_GE(ticks(i) - ticks_before[i] + 2, ticked) << i;
    EXPECT_LE(ticks(i) - ticks_before[i], ticked + 2) << i;
  }
  EXPECT_EQ(sink_a.downs(), 0u);
  EXPECT_EQ(stats.failures.load(), 0u);
}

TEST_F(LivenessTest, AThrowingLoggerIsCountedAndTheNodeKeepsServing) {
  TestSink sink_a;
  TestSink sink_b;
  auto oa = options("a");
  oa.logger = [](LogLevel, std::string_view) { throw std::runtime_error("logger broke"); };
  auto a = start(oa, sink_a);
  ASSERT_TRUE(a);
  // Handshakes that fail log a warning: from inside the handshake coroutine.
  for (int i = 0; i < 3; ++i) {
    RawPeer raw(a->listen_port());
    raw.write({0, 3, 1, 2, 3});  // garbage for send_name
    raw.read_for(200ms);
  }
  auto b = start(options("b"), sink_b);
  auto connection = b->connect_sync("a@127.0.0.1");  // "connection from b" is logged too
  ASSERT_TRUE(connection) << connection.error().to_string();
  const Term to(Pid{Atom("a@127.0.0.1"), kFirstProcessId, 0, a->creation()});
  const Term payload = Term::atom("hello");
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*connection)->send(Term::tuple({SEND, Term::atom(""), to}), &payload));
  }
  ASSERT_TRUE(sink_a.wait([&] { return sink_a.messages_locked().size() >= 100; }));
  EXPECT_GE(a->stats().failures, 4u);
  EXPECT_EQ(sink_a.downs(), 0u);
}

}  // namespace
}  // namespace beamlink::dist
