// LockTable: global's lock rules (one requester id per resource, several
// holders under it, monitors drop holders).
#include "node/global/lock_table.h"

#include <gtest/gtest.h>

namespace beamlink::node::global {
namespace {

Pid pid(uint32_t id, const char* node = "a@h") {
  return Pid{Atom(node), id, 0, 1};
}
Reference ref(uint32_t id) {
  return Reference{Atom("a@h"), 1, {id, 0, 0}};
}
const Term kRes = Term::atom("res");

TEST(LockTableTest, FreeResourceCanBeTakenAndOthersAreRefused) {
  LockTable t;
  Term req1 = Term(pid(1));
  EXPECT_EQ(t.check(kRes, req1, pid(1)), LockTable::SetOutcome::needs_monitor);
  t.add(kRes, req1, pid(1), ref(1));
  EXPECT_TRUE(t.is_set(kRes));
  EXPECT_EQ(t.check(kRes, req1, pid(1)), LockTable::SetOutcome::already_held);
  EXPECT_EQ(t.check(kRes, Term(pid(2)), pid(2)), LockTable::SetOutcome::refused);
  EXPECT_FALSE(t.can_set(kRes, Term(pid(2))));
}

TEST(LockTableTest, SameRequesterIdSharesTheLockUntilTheLastHolderLeaves) {
  LockTable t;
  Term shared = Term::list({Term(pid(1)), Term(pid(2, "b@h"))});
  t.add(kRes, shared, pid(1), ref(1));
  EXPECT_EQ(t.check(kRes, shared, pid(2, "b@h")), LockTable::SetOutcome::needs_monitor);
  t.add(kRes, shared, pid(2, "b@h"), ref(2));
  EXPECT_EQ(t.remove(kRes, shared, pid(1)), ref(1));
  EXPECT_TRUE(t.is_set(kRes));
  EXPECT_TRUE(t.remove_monitor(ref(2)));
  EXPECT_FALSE(t.is_set(kRes));
}

TEST(LockTableTest, RemoveByWrongRequesterOrNonHolderDoesNothing) {
  LockTable t;
  t.add(kRes, Term(pid(1)), pid(1), ref(1));
  EXPECT_FALSE(t.remove(kRes, Term(pid(9)), pid(1)));
  EXPECT_FALSE(t.remove(kRes, Term(pid(1)), pid(9)));
  EXPECT_FALSE(t.remove_monitor(ref(7)));
  EXPECT_TRUE(t.holds(kRes, pid(1)));
  EXPECT_EQ(t.requester(kRes), Term(pid(1)));
}

}  // namespace
}  // namespace beamlink::node::global
