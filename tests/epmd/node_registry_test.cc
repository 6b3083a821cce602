#include "epmd/node_registry.h"

#include <gtest/gtest.h>

namespace beamlink::epmd {
namespace {

NodeInfo node_named(std::string name, uint16_t port) {
  NodeInfo node;
  node.name = std::move(name);
  node.port = port;
  return node;
}

TEST(NodeRegistry, DuplicateNameRefused) {
  NodeRegistry registry(100);
  auto first = registry.add(node_named("a", 1), "peer", 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 100u);
  auto again = registry.add(node_named("a", 2), "peer", 2);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::refused);
  EXPECT_EQ(registry.find("a")->port, 1);
}

TEST(NodeRegistry, ReleaseOnCloseFreesTheName) {
  NodeRegistry registry(100);
  ASSERT_TRUE(registry.add(node_named("a", 1), "peer", 7));
  EXPECT_EQ(registry.release(8), std::nullopt);
  EXPECT_EQ(registry.release(7), "a");
  EXPECT_FALSE(registry.find("a"));
  EXPECT_TRUE(registry.empty());
  auto again = registry.add(node_named("a", 3), "peer", 9);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 101u);  // a new creation for the new incarnation
}

TEST(NodeRegistry, CreationSkipsOldStyleValuesOnWrap) {
  NodeRegistry registry(UINT32_MAX);
  EXPECT_EQ(*registry.add(node_named("a", 1), "", 1), UINT32_MAX);
  EXPECT_EQ(*registry.add(node_named("b", 1), "", 2), 4u);
}

TEST(NodeRegistry, RandomStartIsNewStyle) {
  for (int i = 0; i < 50; ++i) {
    NodeRegistry registry;
    EXPECT_GE(*registry.add(node_named("a", 1), "", 1), 4u);
  }
}

TEST(NodeRegistry, SnapshotSortedWithOwners) {
  NodeRegistry registry(10);
  ASSERT_TRUE(registry.add(node_named("zed", 1), "p1", 1));
  ASSERT_TRUE(registry.add(node_named("alpha", 2), "p2", 2));
  auto rows = registry.snapshot();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].node.name, "alpha");
  EXPECT_EQ(rows[0].peer, "p2");
  EXPECT_EQ(rows[1].creation, 10u);
  EXPECT_EQ(registry.release_name("zed"), 1u);
  EXPECT_EQ(registry.snapshot_with_owners().front().second, 2u);
}

}  // namespace
}  // namespace beamlink::epmd
