// beamlink/terms.h: the short builders make the same terms as the Term
// factories, and what a literal means is never guessed.
#include "beamlink/terms.h"

#include <gtest/gtest.h>

#include <string>

namespace beamlink {
namespace {

TEST(TermsTest, TupleOfMixedElements) {
  Term t = tuple(atom("ok"), 42, int64_t{-7}, uint64_t{1} << 63, 1.5, binary("body"));
  EXPECT_EQ(t, Term::tuple({Term::atom("ok"), Term(42), Term(int64_t{-7}), Term(uint64_t{1} << 63),
                            Term(1.5), Term::binary("body")}));
}

TEST(TermsTest, NestedListsAndEmptyOnes) {
  EXPECT_EQ(list(1, list(), tuple(), list(atom("a"), charlist("hi"))),
            Term::list({Term(1), Term::nil(), Term::tuple({}),
                        Term::list({Term::atom("a"), Term::string("hi")})}));
  EXPECT_EQ(charlist("hi"), Term::list({Term(int64_t{'h'}), Term(int64_t{'i'})}));
  EXPECT_EQ(list(), Term::nil());
}

TEST(TermsTest, MapFromPairsLastDuplicateWins) {
  Term m = map({{atom("node"), atom("a@h")}, {atom("n"), 1}, {atom("n"), 2}});
  EXPECT_EQ(m, Term::map({{Term::atom("node"), Term::atom("a@h")}, {Term::atom("n"), Term(2)}}));
  EXPECT_EQ(map({}), Term(Map{}));
}

TEST(TermsTest, BooleansAndTermsPassThrough) {
  Term pid = Term(Pid{Atom("a@h"), 1, 0, 1});
  Term t = tuple(boolean(true), pid, Term::atom("x"));
  const auto& elements = t.as<Tuple>().elements;
  EXPECT_EQ(elements[0], Term::atom("true"));
  EXPECT_EQ(elements[1], pid);
}

// A C string or a bool could mean several terms: they do not compile.
template <class... Ts>
concept TupleFrom = requires(Ts... values) {
  tuple(values...);
};
static_assert(TupleFrom<Term, int, Atom>);
static_assert(!TupleFrom<const char*>);
static_assert(!TupleFrom<bool>);
static_assert(!TupleFrom<std::string>);

}  // namespace
}  // namespace beamlink
