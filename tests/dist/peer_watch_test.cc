// PeerWatch with fake peers: the ring assignment follows hellos and
// losses, a watcher's verdict is told to every other beamlink peer (and
// only a watcher's), and a suspicion makes the receiver check the suspect
// itself rather than drop it.
#include "dist/peer_watch.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace beamlink::dist {
namespace {

class FakePeer final : public WatchedPeer {
 public:
  explicit FakePeer(std::string name) : name_(std::move(name)) {}
  const std::string& peer_name() const override { return name_; }
  bool peer_closed() const override { return closed; }
  void set_watching(bool on, uint64_t generation) override {
    if (generation <= generation_) return;
    generation_ = generation;
    watching = on;
  }
  void send_liveness(const LivenessMessage& message) override { sent.push_back(message); }
  void verify(const std::string& reason, bool verdict) override {
    verified.push_back(reason);
    verdicts.push_back(verdict);
  }

  bool closed = false;
  bool watching = false;
  std::vector<LivenessMessage> sent;
  std::vector<std::string> verified;
  std::vector<bool> verdicts;

 private:
  std::string name_;
  uint64_t generation_ = 0;
};

std::shared_ptr<FakePeer> peer(const std::string& name) {
  return std::make_shared<FakePeer>(name);
}

TEST(PeerWatch, WatchesItsRingPredecessorsAsPeersJoinAndLeave) {
  PeerWatch watch("c@h", 2);
  auto a = peer("a@h");
  auto b = peer("b@h");
  auto d = peer("d@h");
  watch.joined(d);
  EXPECT_TRUE(d->watching);  // a ring of two: everyone
  watch.joined(a);
  watch.joined(b);
  // c's predecessors on a, b, c, d: b and a.
  EXPECT_EQ(watch.watching(), (std::vector<std::string>{"a@h", "b@h"}));
  EXPECT_TRUE(a->watching);
  EXPECT_TRUE(b->watching);
  EXPECT_FALSE(d->watching);
  // b goes: c now watches a and d (wrapping around).
  b->closed = true;
  watch.left(*b);
  EXPECT_EQ(watch.watching(), (std::vector<std::string>{"a@h", "d@h"}));
  EXPECT_TRUE(d->watching);
}

TEST(PeerWatch, ALeftConnectionThatWasReplacedDoesNotRemoveTheNewOne) {
  PeerWatch watch("c@h", 1);
  auto old_b = peer("b@h");
  auto new_b = peer("b@h");
  watch.joined(old_b);
  watch.joined(new_b);
  old_b->closed = true;
  watch.left(*old_b);
  EXPECT_EQ(watch.watching(), std::vector<std::string>{"b@h"});
  EXPECT_TRUE(new_b->watching);
}

TEST(PeerWatch, ANewConnectionWithAWatchedNodeIsWatchedBeforeTheOldOneLeaves) {
  PeerWatch watch("c@h", 1);
  auto old_b = peer("b@h");
  watch.joined(old_b);
  ASSERT_TRUE(old_b->watching);
  // The replacement says hello before the old connection's loss is seen.
  auto new_b = peer("b@h");
  watch.joined(new_b);
  EXPECT_TRUE(new_b->watching);
  old_b->closed = true;
  watch.left(*old_b);
  EXPECT_EQ(watch.watching(), std::vector<std::string>{"b@h"});
}

TEST(PeerWatch, AWatchersVerdictIsToldToEveryOtherBeamlinkPeer) {
  PeerWatch watch("c@h", 1);
  auto a = peer("a@h");
  auto b = peer("b@h");
  auto d = peer("d@h");
  for (const auto& p : {a, b, d}) watch.joined(p);
  ASSERT_TRUE(b->watching);
  watch.dropped(*b, true, 1510);
  for (const auto& other : {a, d}) {
    ASSERT_EQ(other->sent.size(), 1u) << other->peer_name();
    EXPECT_EQ(other->sent[0].kind, LivenessMessage::Kind::suspect);
    EXPECT_EQ(other->sent[0].node, "b@h");
    EXPECT_EQ(other->sent[0].silent_ms, 1510);
  }
  EXPECT_TRUE(b->sent.empty());
  // A connection we did not watch closely says nothing to the others.
  watch.dropped(*a, false, 60000);
  EXPECT_EQ(d->sent.size(), 1u);
}

TEST(PeerWatch, ASuspicionIsCheckedByTheReceiverNotObeyed) {
  PeerWatch watch("c@h", 1);
  auto a = peer("a@h");
  auto b = peer("b@h");
  watch.joined(a);
  watch.joined(b);
  LivenessMessage suspect;
  suspect.kind = LivenessMessage::Kind::suspect;
  suspect.node = "b@h";
  suspect.silent_ms = 1500;
  watch.suspected(*a, suspect);
  ASSERT_EQ(b->verified.size(), 1u);
  EXPECT_NE(b->verified[0].find("a@h dropped b@h"), std::string::npos) << b->verified[0];
  EXPECT_TRUE(b->verdicts[0]);
  EXPECT_FALSE(b->closed);
  // About ourselves, about the reporter itself, or about an unknown node: nothing.
  for (const std::string node : {"c@h", "a@h", "zz@h"}) {
    suspect.node = node;
    watch.suspected(*a, suspect);
  }
  EXPECT_TRUE(a->verified.empty());
  EXPECT_EQ(b->verified.size(), 1u);
}

TEST(PeerWatch, ADoubtIsToldToTheOthersWhoPingWithoutAVerdict) {
  PeerWatch watch("c@h", 1);
  auto a = peer("a@h");
  auto b = peer("b@h");
  auto d = peer("d@h");
  for (const auto& p : {a, b, d}) watch.joined(p);
  watch.doubted(*b, 1210);
  ASSERT_EQ(a->sent.size(), 1u);
  EXPECT_EQ(a->sent[0].kind, LivenessMessage::Kind::doubt);
  EXPECT_EQ(a->sent[0].node, "b@h");
  // At a receiver, a doubt starts a ping but is no verdict.
  PeerWatch other("a@h", 1);
  auto at_a_b = peer("b@h");
  auto at_a_c = peer("c@h");
  other.joined(at_a_b);
  other.joined(at_a_c);
  other.suspected(*at_a_c, a->sent[0]);
  ASSERT_EQ(at_a_b->verdicts.size(), 1u);
  EXPECT_FALSE(at_a_b->verdicts[0]);
}

}  // namespace
}  // namespace beamlink::dist
