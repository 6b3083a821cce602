// DecodeLimits: depth, term count and size bounds, and that hostile nesting
// neither recurses nor allocates out of proportion to the input.
#include <gtest/gtest.h>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

Packet nested_tuples(size_t depth) {
  Packet bytes = {131};
  for (size_t i = 0; i < depth; ++i) bytes.insert(bytes.end(), {104, 1});
  bytes.push_back(106);
  return bytes;
}

TEST(DecodeLimits, DepthBombOf100000TuplesIsRefused) {
  auto term = decode(nested_tuples(100000));
  ASSERT_FALSE(term);
  EXPECT_EQ(term.error().code, Errc::limit_exceeded);
  EXPECT_EQ(term.error().message,
            "ETF SMALL_TUPLE_EXT (104) at offset 2001: nesting deeper than max_depth (1000)");
}

TEST(DecodeLimits, DepthBombOfListsAndMapsIsRefused) {
  Packet lists = {131};
  for (int i = 0; i < 100000; ++i) lists.insert(lists.end(), {108, 0, 0, 0, 1});
  EXPECT_EQ(decode(lists).error().code, Errc::limit_exceeded);
  Packet maps = {131};
  for (int i = 0; i < 100000; ++i) maps.insert(maps.end(), {116, 0, 0, 0, 1, 97, 1});
  EXPECT_EQ(decode(maps).error().code, Errc::limit_exceeded);
}

TEST(DecodeLimits, DepthUpToTheLimitIsFine) {
  DecodeOptions options;
  options.limits.max_depth = 1000;
  EXPECT_TRUE(decode(nested_tuples(1000), options));
  EXPECT_FALSE(decode(nested_tuples(1001), options));
}

TEST(DecodeLimits, VeryDeepTermsDecodeWithoutRecursionWhenAllowed) {
  // The decoder keeps its own stack, so a raised limit does not risk the
  // call stack. (Kept moderate: destroying the term is recursive in the
  // term model.)
  DecodeOptions options;
  options.limits.max_depth = 10000;
  auto term = decode(nested_tuples(5000), options);
  ASSERT_TRUE(term);
  const Term* t = &*term;
  size_t depth = 0;
  while (t->is<Tuple>()) {
    t = t->element(0);
    ++depth;
  }
  EXPECT_EQ(depth, 5000u);
}

TEST(DecodeLimits, MaxTermsCountsEveryTerm) {
  DecodeOptions options;
  options.limits.max_terms = 4;
  EXPECT_TRUE(decode(Packet{131, 104, 3, 97, 1, 97, 2, 97, 3}, options));
  auto term = decode(Packet{131, 104, 4, 97, 1, 97, 2, 97, 3, 97, 4}, options);
  ASSERT_FALSE(term);
  EXPECT_EQ(term.error().code, Errc::limit_exceeded);
  EXPECT_EQ(term.error().message,
            "ETF SMALL_TUPLE_EXT (104) at offset 1: declares 4 elements, over max_terms (4)");
  // STRING_EXT counts each character.
  auto string = decode(Packet{131, 107, 0, 5, 1, 2, 3, 4, 5}, options);
  ASSERT_FALSE(string);
  EXPECT_EQ(string.error().code, Errc::limit_exceeded);
}

TEST(DecodeLimits, MaxSizeBoundsInputAndInflatedSize) {
  DecodeOptions options;
  options.limits.max_size = 8;
  EXPECT_TRUE(decode(Packet{131, 109, 0, 0, 0, 2, 1, 2}, options));
  auto big = decode(Packet{131, 109, 0, 0, 0, 3, 1, 2, 3}, options);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::limit_exceeded);
  EXPECT_EQ(big.error().message, "ETF at offset 0: input of 9 bytes is over max_size (8)");

  EncodeOptions compress;
  compress.compress = true;
  Packet bytes = encoded(Term::binary(std::string(100, 'a')), compress);
  ASSERT_EQ(bytes[1], COMPRESSED);
  auto inflated = decode(bytes, options);
  ASSERT_FALSE(inflated);
  EXPECT_EQ(inflated.error().code, Errc::limit_exceeded);
  EXPECT_EQ(inflated.error().message,
            "ETF COMPRESSED (80) at offset 1: declares 105 uncompressed bytes, over max_size (8)");
}

TEST(DecodeLimits, WideContainersNestedCannotMultiplyReservations) {
  // Each LARGE_TUPLE_EXT claims nearly all remaining bytes as elements;
  // the second must fail because the first still needs those bytes.
  Packet bytes = {131, 105, 0, 0, 0, 10, 105, 0, 0, 0, 9};
  bytes.resize(bytes.size() + 12, 97);
  auto term = decode(bytes);
  ASSERT_FALSE(term);
  EXPECT_EQ(term.error().message,
            "ETF LARGE_TUPLE_EXT (105) at offset 6: declares 9 elements but only 3 bytes remain");
}

}  // namespace
}  // namespace beamlink::etf::testing
