// The term model's invariants and Erlang's term order (src/etf/term.cc,
// src/etf/term_order.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "beamlink/term.h"

namespace beamlink {
namespace {

Term big(bool negative, std::vector<uint8_t> magnitude) {
  return Term(BigInt{negative, std::move(magnitude)});
}

TEST(TermModel, IntegersThatFitInt64AreNeverBig) {
  EXPECT_TRUE(big(false, {1, 0, 0}).is<int64_t>());
  EXPECT_EQ(big(false, {1, 0, 0}), Term(1));
  EXPECT_EQ(big(true, {0, 0, 0, 0, 0, 0, 0, 0x80}), Term(std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(big(false, {0, 0, 0, 0, 0, 0, 0, 0x80}).is<BigInt>());  // 2^63
  EXPECT_EQ(big(true, {}), Term(0));
  EXPECT_TRUE(Term(std::numeric_limits<uint64_t>::max()).is<BigInt>());
  EXPECT_EQ(Term(uint64_t{5}), Term(5));
}

TEST(TermModel, NilIsAnEmptyProperList) {
  EXPECT_TRUE(Term().is_nil());
  EXPECT_TRUE(Term::list({}).is_nil());
  EXPECT_FALSE(Term::list({Term(1)}).is_nil());
  EXPECT_EQ(Term::improper_list({Term(1)}, Term::nil()), Term::list({Term(1)}));
}

TEST(TermModel, ListTailIsNeverAList) {
  Term t = Term::improper_list({Term(1)}, Term::improper_list({Term(2)}, Term(3)));
  const List& l = t.as<List>();
  ASSERT_EQ(l.elements.size(), 2u);
  ASSERT_TRUE(l.tail);
  EXPECT_EQ(*l.tail, Term(3));
  EXPECT_EQ(t, Term::improper_list({Term(1), Term(2)}, Term(3)));
  // An empty list with a tail is just the tail.
  EXPECT_EQ(Term(List{{}, std::make_shared<const Term>(Term(7))}), Term(7));
}

TEST(TermModel, MapsSortKeysAndLastDuplicateWins) {
  Term m = Term::map({{Term::atom("b"), Term(1)}, {Term(1), Term(2)}, {Term::atom("b"), Term(3)}});
  const Map& map = m.as<Map>();
  ASSERT_EQ(map.entries.size(), 2u);
  EXPECT_EQ(map.entries[0].first, Term(1));
  ASSERT_NE(map.find(Term::atom("b")), nullptr);
  EXPECT_EQ(*map.find(Term::atom("b")), Term(3));
  EXPECT_EQ(map.find(Term::atom("c")), nullptr);
  EXPECT_EQ(m, Term::map({{Term(1), Term(2)}, {Term::atom("b"), Term(3)}}));
}

TEST(TermModel, IntegerAndFloatKeysAreDistinct) {
  Term m = Term::map({{Term(1.0), Term::atom("f")}, {Term(1), Term::atom("i")}});
  ASSERT_EQ(m.as<Map>().entries.size(), 2u);
  EXPECT_EQ(m.as<Map>().entries[0].first, Term(1));  // integers before equal floats
}

TEST(TermModel, WholeByteBitStringsAreBinaries) {
  EXPECT_TRUE(Term(BitString{Bytes::copy(std::string_view("ab")), 8}).is<Binary>());
  EXPECT_TRUE(Term(BitString{Bytes::copy(std::string_view("\x80")), 1}).is<BitString>());
}

TEST(TermModel, StringIsAListOfCodePoints) {
  EXPECT_EQ(Term::string("hé€"), Term::list({Term(104), Term(0xe9), Term(0x20ac)}));
  EXPECT_EQ(Term::string("\xff"), Term::list({Term(0xff)}));  // not UTF-8: taken as Latin-1
}

TEST(TermModel, ExactEqualityKeepsIntAndFloatApart) {
  EXPECT_NE(Term(1), Term(1.0));
  EXPECT_EQ(compare(Term(1), Term(1.0)), std::strong_ordering::less);
  EXPECT_EQ(Term::binary("ab"), Term(Binary{Bytes::borrow(std::span<const uint8_t>(
                                    reinterpret_cast<const uint8_t*>("ab"), 2))}));
}

TEST(TermOrder, FollowsErlangTypeRanks) {
  Pid pid{Atom("n@h"), 1, 0, 1};
  std::vector<Term> ascending = {
      Term(-5),
      Term(1.5),
      Term::atom("a"),
      Term(Reference{Atom("n@h"), 1, {1, 2, 3}}),
      Term(ExportFun{Atom("lists"), Atom("map"), 2}),
      Term(Port{Atom("n@h"), 3, 1}),
      Term(pid),
      Term::tuple({Term(1)}),
      Term::map({}),
      Term::nil(),
      Term::list({Term(1)}),
      Term::binary("a"),
  };
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_LT(ascending[i], ascending[i + 1]) << "at " << i;
    EXPECT_GT(ascending[i + 1], ascending[i]) << "at " << i;
  }
}

TEST(TermOrder, NumbersCompareByValueAcrossRepresentations) {
  Term two63 = big(false, {0, 0, 0, 0, 0, 0, 0, 0x80});
  Term minus_two64 = big(true, {0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_LT(Term(std::numeric_limits<int64_t>::max()), two63);
  EXPECT_LT(minus_two64, Term(std::numeric_limits<int64_t>::min()));
  EXPECT_LT(minus_two64, two63);
  EXPECT_LT(Term(2), Term(2.5));
  EXPECT_LT(Term(2.5), Term(3));
  EXPECT_GT(Term(-2), Term(-2.5));
  EXPECT_LT(Term(1e30), big(false, std::vector<uint8_t>(14, 0xff)));  // ~5.2e33
  EXPECT_GT(Term(1e40), big(false, std::vector<uint8_t>(14, 0xff)));
  EXPECT_LT(Term(9007199254740993), Term(9007199254740994.0));  // beyond double precision
}

TEST(TermModel, StaysSmall) {
  EXPECT_LE(sizeof(Term), 56u);
}

TEST(TermModel, BoxedAlternativesUnbox) {
  Term r(Reference{Atom("n@h"), 3, {1, 2, 3}});
  ASSERT_TRUE(r.is<Reference>());
  EXPECT_EQ(r.as<Reference>().ids.size(), 3u);
  EXPECT_EQ(r.get_if<Pid>(), nullptr);
  EXPECT_EQ(r.type(), TermType::reference);
  EXPECT_EQ(
      r.visit([](const auto& v) { return std::is_same_v<std::decay_t<decltype(v)>, Reference>; }),
      true);
  EXPECT_EQ(r, Term(Reference{Atom("n@h"), 3, {1, 2, 3}}));
  EXPECT_NE(r, Term(Reference{Atom("n@h"), 3, {1, 2, 4}}));
}

TEST(TermOrder, TuplesBySizeFirstMapsBySizeThenKeys) {
  EXPECT_LT(Term::tuple({Term(9), Term(9)}), Term::tuple({Term(1), Term(1), Term(1)}));
  EXPECT_LT(Term::map({{Term(9), Term(9)}}), Term::map({{Term(1), Term(1)}, {Term(2), Term(2)}}));
  EXPECT_LT(Term::map({{Term(1), Term(9)}}), Term::map({{Term(2), Term(1)}}));
  EXPECT_LT(Term::map({{Term(1), Term(1)}}), Term::map({{Term(1), Term(2)}}));
}

TEST(TermOrder, ListsCompareAsConsCells) {
  EXPECT_LT(Term::list({Term(1)}), Term::list({Term(1), Term(2)}));
  EXPECT_LT(Term::list({Term(1), Term(2)}), Term::list({Term(2)}));
  // [1|2] vs [1,2]: the tail 2 is compared with [2]; a number sorts before a list.
  EXPECT_LT(Term::improper_list({Term(1)}, Term(2)), Term::list({Term(1), Term(2)}));
  // [1|<<>>] vs [1,2]: a bit string sorts after a list.
  EXPECT_GT(Term::improper_list({Term(1)}, Term::binary("")), Term::list({Term(1), Term(2)}));
}

TEST(TermOrder, BitStringsCompareBitByBit) {
  Term one_bit(BitString{Bytes::copy(std::string_view("\x80")), 1});  // <<1:1>>
  Term byte_80 = Term::binary("\x80");                                // <<128>>
  Term byte_7f = Term::binary("\x7f");
  EXPECT_LT(one_bit, byte_80);  // a prefix sorts first
  EXPECT_GT(one_bit, byte_7f);
  EXPECT_LT(Term::binary("ab"), Term::binary("abc"));
  EXPECT_LT(Term::binary("abc"), Term::binary("b"));
}

TEST(TermOrder, IsATotalOrderConsistentWithEquality) {
  std::vector<Term> terms = {Term(1),
                             Term(1.0),
                             Term::atom("x"),
                             Term::nil(),
                             Term::list({Term(1)}),
                             Term::improper_list({Term(1)}, Term(2)),
                             Term::tuple({}),
                             Term::binary(""),
                             Term::map({{Term(1), Term(1)}}),
                             Term(-1)};
  for (const auto& a : terms) {
    for (const auto& b : terms) {
      EXPECT_EQ(a == b, compare(a, b) == std::strong_ordering::equal);
      EXPECT_EQ(compare(a, b), 0 <=> compare(b, a));
    }
  }
  std::sort(terms.begin(), terms.end());
  EXPECT_TRUE(std::is_sorted(terms.begin(), terms.end()));
}

}  // namespace
}  // namespace beamlink
