// Every term type survives encode -> decode unchanged, in every binary mode
// and with compression; decode_one and legacy tags.
#include <gtest/gtest.h>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

Closure sample_closure() {
  Closure fun;
  fun.arity = 2;
  fun.uniq = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  fun.index = 3;
  fun.module = Atom("mod");
  fun.old_index = 3;
  fun.old_uniq = 123456789;
  fun.pid = pid("node@host", 80, 1, 0x12345678);
  fun.free_vars = {Term(1), tuple({atom("x"), Term::binary("y")}), Term::nil()};
  return fun;
}

std::vector<Term> corpus() {
  std::vector<uint8_t> huge(300, 0xAB);
  return {
      Term(0),
      Term(255),
      Term(256),
      Term(-1),
      Term(int64_t{1} << 40),
      Term(std::numeric_limits<int64_t>::min()),
      Term(BigInt{false, {1, 2, 3, 4, 5, 6, 7, 8, 9}}),
      Term(BigInt{true, huge}),
      Term(3.25),
      Term(-1e300),
      atom("hello"),
      atom("\xF0\x9F\x98\x80"),
      tuple({}),
      tuple({Term(1), tuple({Term(2), tuple({Term(3)})})}),
      Term::nil(),
      Term::string("hello"),
      list({Term(1000), atom("x")}),
      Term::improper_list({Term(1)}, atom("tail")),
      Term::binary("bytes"),
      Term::binary(""),
      Term(BitString{Bytes::copy(Packet{0xFF, 0xE0}), 3}),
      Term::map({{atom("a"), Term(1)}, {Term(2), list({})}, {tuple({}), Term::binary("v")}}),
      Term(pid("n@h", 1, 2, 3)),
      Term(Port{Atom("n@h"), 5, 6}),
      Term(Port{Atom("n@h"), uint64_t{1} << 40, 6}),
      Term(Reference{Atom("n@h"), 9, {1, 2, 3}}),
      Term(Reference{Atom("n@h"), 9, {1, 2, 3, 4, 5}}),
      Term(ExportFun{Atom("erlang"), Atom("self"), 0}),
      Term(sample_closure()),
      Term::map({{Term(sample_closure()), Term(sample_closure())}}),
  };
}

TEST(RoundTrip, EveryTypeInCopyMode) {
  for (const Term& term : corpus()) {
    Packet bytes = encoded(term);
    EXPECT_EQ(bytes.size(), encoded_size(term));
    EXPECT_EQ(decoded(bytes), term);
  }
}

TEST(RoundTrip, WholeCorpusAsOneTermCompressed) {
  Term all = list(corpus());
  EncodeOptions options;
  options.compress = true;
  Packet bytes = encoded(all, options);
  ASSERT_EQ(bytes[1], COMPRESSED);
  EXPECT_EQ(decoded(bytes), all);
  for (int level : {0, 1, 9}) {
    options.compression_level = level;
    EXPECT_EQ(decoded(encoded(all, options)), all);
  }
}

TEST(RoundTrip, BorrowModeViewsTheInput) {
  Packet bytes = encoded(tuple({Term::binary("payload"), Term::binary("two")}));
  DecodeOptions options;
  options.binaries = BinaryMode::borrow;
  Term term = decoded(bytes, options);
  const Bytes& payload = term.element(0)->as<Binary>().bytes;
  EXPECT_TRUE(payload.borrowed());
  EXPECT_GE(payload.data(), bytes.data());
  EXPECT_LT(payload.data(), bytes.data() + bytes.size());
  EXPECT_EQ(payload.view(), "payload");
}

TEST(RoundTrip, SharedModeKeepsTheBufferAlive) {
  Term original = tuple({Term::binary("payload"), Term(BitString{Bytes::copy(Packet{0xF0}), 4})});
  auto buffer = std::make_shared<const std::vector<uint8_t>>(encoded(original));
  const uint8_t* start = buffer->data();
  auto term = decode_shared(buffer);
  ASSERT_TRUE(term);
  buffer.reset();  // only the term holds it now
  const Bytes& payload = term->element(0)->as<Binary>().bytes;
  EXPECT_FALSE(payload.borrowed());
  EXPECT_GE(payload.data(), start);
  EXPECT_EQ(*term, original);
}

TEST(RoundTrip, CompressedBorrowAndShareOwnTheInflatedBuffer) {
  std::string text(4000, 'z');
  Term original = tuple({Term::binary(text), Term::binary("tail")});
  EncodeOptions compress;
  compress.compress = true;
  Packet bytes = encoded(original, compress);
  ASSERT_EQ(bytes[1], COMPRESSED);

  DecodeOptions borrow;
  borrow.binaries = BinaryMode::borrow;
  Term borrowed = decoded(bytes, borrow);
  // The inflated buffer is temporary, so the views must own a share of it.
  EXPECT_FALSE(borrowed.element(0)->as<Binary>().bytes.borrowed());
  EXPECT_EQ(borrowed, original);

  auto shared = decode_shared(std::make_shared<const std::vector<uint8_t>>(bytes));
  ASSERT_TRUE(shared);
  EXPECT_FALSE(shared->element(0)->as<Binary>().bytes.borrowed());
  EXPECT_EQ(*shared, original);
}

TEST(RoundTrip, BitStringUnusedBitsAreClearedLikeOtp) {
  // OTP reads <<131,77,0,0,0,1,3,255>> as <<7:3>>.
  Term term = decoded({131, 77, 0, 0, 0, 1, 3, 255});
  ASSERT_TRUE(term.is<BitString>());
  EXPECT_EQ(term.as<BitString>().bits, 3);
  EXPECT_EQ(term.as<BitString>().bytes.span()[0], 0xE0);
  EXPECT_EQ(encoded(term), (Packet{131, 77, 0, 0, 0, 1, 3, 0xE0}));
  // Eight bits is a plain binary, and an empty one says 0 bits.
  EXPECT_EQ(decoded({131, 77, 0, 0, 0, 1, 8, 255}), Term::binary("\xFF"));
  EXPECT_EQ(decoded({131, 77, 0, 0, 0, 0, 0}), Term::binary(""));
}

TEST(RoundTrip, ListWhoseTailIsAListIsFlattened) {
  // [1 | [2]] written as nested LIST_EXT: OTP reads it as [1, 2].
  Term term = decoded({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106});
  EXPECT_EQ(term, list({Term(1), Term(2)}));
  // [1 | "ab"] and [1 | [2 | 3]].
  EXPECT_EQ(decoded({131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 97, 98}),
            list({Term(1), Term(97), Term(98)}));
  Term improper = decoded({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 3});
  EXPECT_EQ(improper, Term::improper_list({Term(1), Term(2)}, Term(3)));
  ASSERT_TRUE(improper.as<List>().tail);
  EXPECT_FALSE(improper.as<List>().tail->is<List>());
  // An empty LIST_EXT is its tail.
  EXPECT_EQ(decoded({131, 108, 0, 0, 0, 0, 97, 1}), Term(1));
  EXPECT_EQ(decoded({131, 108, 0, 0, 0, 0, 106}), Term::nil());
}

TEST(RoundTrip, ContainersAsMapKeysAndValues) {
  // Keys and values decode in place into the map's entries; containers there
  // (and a spliced list tail in a value) must land in the right slot.
  Term inner = Term::map({{atom("x"), list({Term(1), tuple({Term(2)})})}});
  Term term = Term::map({{tuple({Term(1), Term(2)}), Term::improper_list({atom("a")}, atom("b"))},
                         {inner, tuple({})},
                         {Term(3), list({inner, inner})}});
  EXPECT_EQ(decoded(encoded(term)), term);
  // #{1 => [1 | [2]]}, the tail written as a nested LIST_EXT.
  EXPECT_EQ(
      decoded({131, 116, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106}),
      Term::map({{Term(1), list({Term(1), Term(2)})}}));
}

TEST(RoundTrip, LongChainOfListTailsNeedsNoDepth) {
  // [0 | [1 | [2 | ...]]] 100000 deep, each tail a LIST_EXT: spliced, so
  // neither max_depth nor quadratic copying applies.
  Packet bytes = {131};
  const int n = 100000;
  for (int i = 0; i < n; ++i) bytes.insert(bytes.end(), {108, 0, 0, 0, 1, 97, uint8_t(i % 256)});
  bytes.push_back(106);
  Term term = decoded(bytes);
  ASSERT_TRUE(term.is<List>());
  EXPECT_EQ(term.as<List>().elements.size(), size_t(n));
  EXPECT_TRUE(term.as<List>().proper());
}

TEST(RoundTrip, NonMinimalBigsNormalise) {
  EXPECT_EQ(decoded({131, 110, 0, 0}), Term(0));
  EXPECT_EQ(decoded({131, 110, 2, 0, 1, 0}), Term(1));
  EXPECT_EQ(decoded({131, 110, 1, 2, 5}), Term(-5));  // any nonzero sign is negative
  EXPECT_EQ(decoded({131, 111, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0}),
            Term(BigInt{false, {0, 0, 0, 0, 0, 0, 0, 128}}));
}

TEST(RoundTrip, DecodeOneReportsConsumedBytes) {
  Packet stream = {104, 1, 97, 5, 119, 1, 97, 0xEE};
  auto first = decode_one(stream);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->term, tuple({Term(5)}));
  EXPECT_EQ(first->consumed, 4u);
  auto second = decode_one(std::span(stream).subspan(4));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->term, atom("a"));
  EXPECT_EQ(second->consumed, 3u);
}

TEST(RoundTrip, AtomCacheRefsResolveThroughTheTable) {
  AtomRefTable table{{Atom("zero"), Atom("one")}};
  DecodeOptions options;
  options.atom_refs = &table;
  auto term =
      decode_one(Packet{104, 2, 82, 1, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, options);
  ASSERT_TRUE(term) << term.error().to_string();
  EXPECT_EQ(term->term, tuple({atom("one"), Term(pid("zero", 1, 2, 3))}));
}

}  // namespace
}  // namespace beamlink::etf::testing
