// The name exchange's decisions: new names, equal names, clashes resolved
// only by the smaller node, and what each resolve answer becomes.
#include "node/global/resolution.h"

#include <gtest/gtest.h>

#include <map>

namespace beamlink::node::global {
namespace {

Pid pid(const char* node, uint32_t id) {
  return Pid{Atom(node), id, 0, 1};
}
NameEntry entry(const char* name, Pid p) {
  return NameEntry{Term::atom(name), std::move(p), default_method()};
}

NameLookup table(std::map<std::string, Pid> names) {
  return [names](const Term& name) -> std::optional<NameEntry> {
    auto it = names.find(name.as<Atom>().name);
    if (it == names.end()) return std::nullopt;
    return entry(it->first.c_str(), it->second);
  };
}

TEST(ResolutionTest, NewNamesAreInsertedAndEqualOnesSkipped) {
  auto plan = plan_exchange({entry("new", pid("b@h", 1)), entry("same", pid("b@h", 2))},
                            table({{"same", pid("b@h", 2)}}), "a@h", "b@h");
  ASSERT_EQ(plan.ops.size(), 1u);
  EXPECT_TRUE(plan.ops[0].insert);
  EXPECT_EQ(plan.ops[0].entry.name, Term::atom("new"));
  EXPECT_TRUE(plan.conflicts.empty());
  EXPECT_TRUE(plan.resolved.empty());
}

TEST(ResolutionTest, OnlyTheSmallerNodeResolvesAClash) {
  auto ours = table({{"x", pid("a@h", 1)}});
  auto theirs = std::vector<NameEntry>{entry("x", pid("b@h", 1))};
  EXPECT_EQ(plan_exchange(theirs, ours, "a@h", "b@h").conflicts.size(), 1u);
  auto bigger = plan_exchange(theirs, ours, "c@h", "b@h");
  EXPECT_TRUE(bigger.conflicts.empty());
  EXPECT_TRUE(bigger.ops.empty());
}

TEST(ResolutionTest, OutcomesBecomeOpsAsGlobalMakesThem) {
  Conflict c{entry("x", pid("b@h", 1)), entry("x", pid("a@h", 1))};
  ExchangePlan keep_theirs;
  apply_outcome(c, {ResolveOutcome::Kind::pid, pid("b@h", 1)}, keep_theirs);
  ASSERT_EQ(keep_theirs.ops.size(), 1u);
  EXPECT_EQ(keep_theirs.ops[0].entry.pid, pid("b@h", 1));
  EXPECT_TRUE(keep_theirs.resolved.empty());

  ExchangePlan keep_ours;
  apply_outcome(c, {ResolveOutcome::Kind::pid, pid("a@h", 1)}, keep_ours);
  EXPECT_TRUE(keep_ours.ops.empty());
  ASSERT_EQ(keep_ours.resolved.size(), 1u);
  EXPECT_EQ(keep_ours.resolved[0].entry.pid, pid("a@h", 1));

  ExchangePlan none;
  apply_outcome(c, {ResolveOutcome::Kind::none, {}}, none);
  ASSERT_EQ(none.ops.size(), 1u);
  ASSERT_EQ(none.resolved.size(), 1u);
  EXPECT_FALSE(none.ops[0].insert);
  EXPECT_FALSE(none.resolved[0].insert);

  ExchangePlan bad;
  apply_outcome(c, {ResolveOutcome::Kind::bad_rpc, {}}, bad);
  ASSERT_EQ(bad.ops.size(), 1u);
  EXPECT_EQ(bad.ops[0].entry.pid, pid("b@h", 1));
}

TEST(ResolutionTest, RandomExitNameKeepsThePidOnTheSmallerNode) {
  auto [min, max] = min_max_by_node(pid("z@h", 1), pid("a@h", 9));
  EXPECT_EQ(min.node.name, "a@h");
  EXPECT_EQ(max.node.name, "z@h");
}

}  // namespace
}  // namespace beamlink::node::global
