// Node::metrics() over real loopback connections (no EPMD): the counters
// and latencies /metrics exports come from where the work happens: a
// connection's messages and bytes, the handshake and connect histograms,
// connects, disconnects and handshake failures (a wrong cookie), mailbox
// lengths by registered name, and pg members by scope and group.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "beamlink/node.h"
#include "beamlink/pg.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <class F>
bool wait_until(F predicate, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return predicate();
}

std::unique_ptr<Node> start(const std::string& name, const std::string& cookie,
                            uint16_t peer_port) {
  NodeOptions options;
  options.name = name;
  options.cookie = cookie;
  options.listen_address = "127.0.0.1";
  options.use_epmd = false;
  options.peer_port = peer_port;
  options.setup_time = 5s;
  auto node = Node::start(std::move(options));
  EXPECT_TRUE(node) << node.error().to_string();
  return node ? std::move(*node) : nullptr;
}

const PeerMetrics* peer(const NodeMetrics& metrics, const std::string& name) {
  auto found = std::find_if(metrics.peers.begin(), metrics.peers.end(),
                            [&](const PeerMetrics& p) { return p.peer == name; });
  return found == metrics.peers.end() ? nullptr : &*found;
}

TEST(NodeMetrics, CountWhatCrossesAConnectionAndHowLongItTookToSetUp) {
  auto a = start("ma@127.0.0.1", "cookie", 0);
  ASSERT_TRUE(a);
  auto b = start("mb@127.0.0.1", "cookie", a->listen_port());
  ASSERT_TRUE(b);
  auto sink = a->spawn(SpawnOptions{.register_as = "sink"});
  ASSERT_TRUE(sink);
  ASSERT_TRUE(b->connect(a->name())) << "b could not connect";
  for (int i = 0; i < 10; ++i) b->send("sink", a->name(), Term(int64_t{i}));
  ASSERT_TRUE(wait_until([&] { return sink->mailbox_size() >= 10; }));

  const NodeMetrics at_a = a->metrics();
  const PeerMetrics* from_b = peer(at_a, b->name());
  ASSERT_NE(from_b, nullptr);
  EXPECT_GE(from_b->messages_received, 10u);
  EXPECT_GT(from_b->bytes_received, 0u);
  EXPECT_EQ(at_a.dist.connects_incoming, 1u);
  EXPECT_EQ(at_a.dist.connects_outgoing, 0u);
  EXPECT_EQ(at_a.dist.handshake_seconds.count, 1u);
  EXPECT_GT(at_a.dist.handshake_seconds.sum, 0);
  EXPECT_EQ(at_a.mailboxes.max_messages, 10u);
  EXPECT_GE(at_a.mailboxes.messages, 10u);
  auto named = std::find_if(at_a.mailboxes.named.begin(), at_a.mailboxes.named.end(),
                            [](const NamedMailbox& m) { return m.name == "sink"; });
  ASSERT_NE(named, at_a.mailboxes.named.end());
  EXPECT_EQ(named->messages, 10u);

  const NodeMetrics at_b = b->metrics();
  const PeerMetrics* to_a = peer(at_b, a->name());
  ASSERT_NE(to_a, nullptr);
  EXPECT_GE(to_a->messages_sent, 10u);
  EXPECT_EQ(to_a->send_queue_bytes, 0u);
  EXPECT_EQ(at_b.dist.connects_outgoing, 1u);
  EXPECT_EQ(at_b.dist.connect_seconds.count, 1u);
  EXPECT_EQ(at_b.dist.handshake_seconds.count, 1u);

  b->disconnect(a->name());
  EXPECT_TRUE(wait_until([&] { return b->metrics().dist.disconnects == 1; }));
  EXPECT_TRUE(wait_until([&] { return a->metrics().dist.disconnects == 1; }));
}

TEST(NodeMetrics, CountHandshakesAWrongCookieFailsOnBothSides) {
  auto a = start("mc@127.0.0.1", "cookie", 0);
  ASSERT_TRUE(a);
  auto intruder = start("md@127.0.0.1", "not-the-cookie", a->listen_port());
  ASSERT_TRUE(intruder);
  EXPECT_FALSE(intruder->connect(a->name()));
  const DistMetrics out = intruder->metrics().dist;
  EXPECT_EQ(out.connect_failures, 1u);
  EXPECT_EQ(out.handshake_failures_outgoing, 1u);
  EXPECT_EQ(out.connect_seconds.count, 0u);
  EXPECT_TRUE(wait_until([&] { return a->metrics().dist.handshake_failures_incoming == 1; }));
  EXPECT_EQ(a->metrics().dist.connects_incoming, 0u);
}

TEST(NodeMetrics, ListProcessGroupsByScopeAndGroup) {
  auto a = start("me@127.0.0.1", "cookie", 0);
  ASSERT_TRUE(a);
  auto p = a->spawn();
  ASSERT_TRUE(p);
  ASSERT_TRUE(a->pg().join(Term::atom("jobs"), p->pid()));
  ASSERT_TRUE(a->pg().join(Term::atom("jobs"), p->pid()));
  ASSERT_TRUE(a->pg().join(Term::atom("other"), p->pid()));
  const NodeMetrics metrics = a->metrics();
  auto scope = std::find_if(metrics.scopes.begin(), metrics.scopes.end(),
                            [](const ScopeMetrics& s) { return s.scope == "pg"; });
  ASSERT_NE(scope, metrics.scopes.end());
  EXPECT_EQ(scope->groups, 2u);
  EXPECT_EQ(scope->members, 3u);
  EXPECT_EQ(scope->local_members, 3u);
  ASSERT_EQ(scope->listed.size(), 2u);
  EXPECT_EQ(scope->listed[0].group, "jobs");
  EXPECT_EQ(scope->listed[0].members, 2u);
  EXPECT_EQ(scope->listed[1].group, "other");
}

}  // namespace
}  // namespace beamlink
