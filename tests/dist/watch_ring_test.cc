// The ring that decides who watches whom closely: every node that knows
// the same set agrees, each node watches k and is watched by k.
#include "dist/watch_ring.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace beamlink::dist {
namespace {

std::vector<std::string> names(size_t count) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) out.push_back("n" + std::to_string(100 + i) + "@127.0.0.1");
  return out;
}

std::vector<std::string> others(const std::vector<std::string>& all, const std::string& self) {
  std::vector<std::string> out;
  for (const auto& name : all) {
    if (name != self) out.push_back(name);
  }
  return out;
}

TEST(WatchRing, EachNodeWatchesKAndIsWatchedByK) {
  const auto all = names(64);
  std::map<std::string, int> watchers;
  for (const auto& self : all) {
    const auto watched = watched_peers(self, others(all, self), 3);
    ASSERT_EQ(watched.size(), 3u) << self;
    for (const auto& peer : watched) {
      EXPECT_NE(peer, self);
      ++watchers[peer];
    }
  }
  ASSERT_EQ(watchers.size(), all.size());
  for (const auto& [name, count] : watchers) EXPECT_EQ(count, 3) << name;
}

TEST(WatchRing, WatchesItsPredecessorsWrappingAround) {
  const std::vector<std::string> all{"a@h", "b@h", "c@h", "d@h", "e@h"};
  EXPECT_EQ(watched_peers("c@h", others(all, "c@h"), 2), (std::vector<std::string>{"a@h", "b@h"}));
  EXPECT_EQ(watched_peers("a@h", others(all, "a@h"), 2), (std::vector<std::string>{"d@h", "e@h"}));
  EXPECT_EQ(watched_peers("b@h", others(all, "b@h"), 2), (std::vector<std::string>{"a@h", "e@h"}));
}

TEST(WatchRing, SmallRingsWatchEveryone) {
  EXPECT_EQ(watched_peers("a@h", {"b@h", "c@h"}, 3), (std::vector<std::string>{"b@h", "c@h"}));
  EXPECT_EQ(watched_peers("a@h", {}, 3), std::vector<std::string>{});
  EXPECT_EQ(watched_peers("a@h", {"b@h"}, 0), std::vector<std::string>{});
}

TEST(WatchRing, TheOrderOfThePeersAndDuplicatesDoNotMatter) {
  EXPECT_EQ(watched_peers("c@h", {"e@h", "a@h", "b@h", "a@h", "c@h", "d@h"}, 2),
            watched_peers("c@h", {"a@h", "b@h", "d@h", "e@h"}, 2));
}

}  // namespace
}  // namespace beamlink::dist
