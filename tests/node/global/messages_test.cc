// Parsing and building global's protocol terms; malformed input from a
// peer is refused, never thrown on.
#include "node/global/messages.h"

#include <gtest/gtest.h>

#include "node/terms.h"

namespace beamlink::node::global {
namespace {

Pid pid(uint32_t id) {
  return Pid{Atom("a@h"), id, 0, 1};
}

TEST(GlobalMessagesTest, GenCallAndCastEnvelopes) {
  Term call = tuple(atom("$gen_call"), tuple(pid(1), atom("tag")), atom("get_known"));
  auto parsed = parse_gen_call(call);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->from, pid(1));
  EXPECT_EQ(parsed->request, atom("get_known"));
  EXPECT_FALSE(parse_gen_call(tuple(atom("$gen_call"), atom("nopid"), atom("x"))));
  EXPECT_FALSE(parse_gen_call(atom("$gen_call")));
  const Term cast = gen_cast(atom("hi"));  // parse_gen_cast points into it
  const Term* req = parse_gen_cast(cast);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(*req, atom("hi"));
  EXPECT_EQ(parse_gen_cast(tuple(atom("$gen_cast"))), nullptr);
}

TEST(GlobalMessagesTest, NamesAndOpsRoundTrip) {
  std::vector<NameEntry> names{{atom("n"), pid(1), default_method()}};
  auto back = parse_names(names_term(names));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].pid, pid(1));
  std::vector<Op> ops{{true, names[0]}, {false, {atom("gone"), {}, Term()}}};
  auto ops_back = parse_ops(ops_term(ops));
  ASSERT_TRUE(ops_back);
  ASSERT_EQ(ops_back->size(), 2u);
  EXPECT_TRUE((*ops_back)[0].insert);
  EXPECT_FALSE((*ops_back)[1].insert);
  EXPECT_EQ((*ops_back)[1].entry.name, atom("gone"));
}

TEST(GlobalMessagesTest, MalformedListsAreRefused) {
  EXPECT_FALSE(parse_names(Term::list({tuple(atom("n"), atom("notapid"), atom("m"))})));
  EXPECT_FALSE(parse_names(atom("notalist")));
  EXPECT_FALSE(parse_names(Term::improper_list({atom("a")}, atom("tail"))));
  EXPECT_FALSE(parse_ops(Term::list({tuple(atom("upsert"), atom("x"))})));
  EXPECT_FALSE(parse_known(Term::list({Term(5)})));
  EXPECT_FALSE(parse_lock_id(atom("x")));
}

TEST(GlobalMessagesTest, KnownListsInBothVersions) {
  auto old_style = parse_known(Term::list({atom("a@h")}));
  ASSERT_TRUE(old_style);
  EXPECT_EQ((*old_style)[0], (std::pair<std::string, int64_t>{"a@h", 0}));
  auto back = parse_known(known_term({{"b@h", 8}}));
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0], (std::pair<std::string, int64_t>{"b@h", 8}));
}

}  // namespace
}  // namespace beamlink::node::global
