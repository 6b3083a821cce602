// Exact wire layouts, byte for byte, of every tag the encoder writes, each
// checked in both directions (the bytes are what OTP 25's
// term_to_binary(T, [{minor_version, 2}]) writes).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

void expect_layout(const Term& term, const Packet& bytes) {
  EXPECT_EQ(encoded(term), bytes);
  EXPECT_EQ(encoded_size(term), bytes.size());
  EXPECT_EQ(decoded(bytes), term);
}

TEST(EncodeLayout, SmallInteger) {
  expect_layout(Term(0), {131, 97, 0});
  expect_layout(Term(255), {131, 97, 255});
}

TEST(EncodeLayout, Integer) {
  expect_layout(Term(-1), {131, 98, 255, 255, 255, 255});
  expect_layout(Term(256), {131, 98, 0, 0, 1, 0});
  expect_layout(Term(int64_t{INT32_MIN}), {131, 98, 128, 0, 0, 0});
  expect_layout(Term(int64_t{INT32_MAX}), {131, 98, 127, 255, 255, 255});
}

TEST(EncodeLayout, SmallBigForInt64OutsideInt32) {
  expect_layout(Term(int64_t{2147483648}), {131, 110, 4, 0, 0, 0, 0, 128});
  expect_layout(Term(int64_t{-2147483649}), {131, 110, 4, 1, 1, 0, 0, 128});
  expect_layout(Term(std::numeric_limits<int64_t>::min()),
                {131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128});
  expect_layout(Term(std::numeric_limits<int64_t>::max()),
                {131, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 127});
}

TEST(EncodeLayout, SmallBigBeyondInt64) {
  // 2^64
  expect_layout(Term(BigInt{false, {0, 0, 0, 0, 0, 0, 0, 0, 1}}),
                {131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  expect_layout(Term(BigInt{true, {0, 0, 0, 0, 0, 0, 0, 0, 1}}),
                {131, 110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1});
}

TEST(EncodeLayout, LargeBigOver255Digits) {
  std::vector<uint8_t> magnitude(256, 0);
  magnitude.back() = 1;  // 2^2040
  Packet bytes = {131, 111, 0, 0, 1, 0, 1};
  bytes.insert(bytes.end(), magnitude.begin(), magnitude.end());
  expect_layout(Term(BigInt{true, magnitude}), bytes);
  // 255 digits still fit SMALL_BIG_EXT.
  magnitude.pop_back();
  magnitude.back() = 7;
  Packet small = {131, 110, 255, 0};
  small.insert(small.end(), magnitude.begin(), magnitude.end());
  expect_layout(Term(BigInt{false, magnitude}), small);
}

TEST(EncodeLayout, NewFloat) {
  expect_layout(Term(1.5), {131, 70, 63, 248, 0, 0, 0, 0, 0, 0});
  expect_layout(Term(0.0), {131, 70, 0, 0, 0, 0, 0, 0, 0, 0});
  expect_layout(Term(-0.0), {131, 70, 128, 0, 0, 0, 0, 0, 0, 0});
}

TEST(EncodeLayout, NonFiniteFloatsCannotBeEncoded) {
  for (double v : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    auto bytes = encode(Term(v));
    ASSERT_FALSE(bytes);
    EXPECT_EQ(bytes.error().code, Errc::invalid_argument);
  }
}

TEST(EncodeLayout, AtomsAreUtf8SmallOrLong) {
  expect_layout(atom("a"), {131, 119, 1, 97});
  expect_layout(atom(""), {131, 119, 0});
  expect_layout(atom("\xC3\xA5"), {131, 119, 2, 0xC3, 0xA5});  // 'å'
  // 100 three-byte characters: 300 bytes, so ATOM_UTF8_EXT.
  std::string name;
  for (int i = 0; i < 100; ++i) name += "\xE2\x82\xAC";  // '€'
  Packet bytes = cat({{131, 118, 1, 44}, text(name)});
  expect_layout(atom(name), bytes);
}

TEST(EncodeLayout, AtomsOver255CharactersOrBadUtf8AreRejected) {
  EXPECT_EQ(encode(atom(std::string(256, 'x'))).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode(atom("\xFF")).error().code, Errc::invalid_argument);
  EXPECT_TRUE(encode(atom(std::string(255, 'x'))));
}

TEST(EncodeLayout, TuplesSmallAndLarge) {
  expect_layout(tuple({}), {131, 104, 0});
  expect_layout(tuple({Term(1), atom("a")}), {131, 104, 2, 97, 1, 119, 1, 97});
  std::vector<Term> many(256, Term(0));
  Packet bytes = {131, 105, 0, 0, 1, 0};
  for (int i = 0; i < 256; ++i) bytes.insert(bytes.end(), {97, 0});
  expect_layout(tuple(many), bytes);
}

TEST(EncodeLayout, NilStringAndLists) {
  expect_layout(Term::nil(), {131, 106});
  expect_layout(Term::string("abc"), {131, 107, 0, 3, 97, 98, 99});
  expect_layout(list({Term(1), Term(2), Term(300)}),
                {131, 108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 0, 0, 1, 44, 106});
  expect_layout(list({Term(1), atom("a")}), {131, 108, 0, 0, 0, 2, 97, 1, 119, 1, 97, 106});
}

TEST(EncodeLayout, ImproperList) {
  expect_layout(Term::improper_list({Term(1), Term(2)}, Term(3)),
                {131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3});
}

TEST(EncodeLayout, StringExtStopsAt65535Elements) {
  Packet fits = encoded(list(std::vector<Term>(65535, Term(7))));
  EXPECT_EQ(fits[1], STRING_EXT);
  EXPECT_EQ(fits.size(), 4u + 65535);
  Packet over = encoded(list(std::vector<Term>(65536, Term(7))));
  EXPECT_EQ(over[1], LIST_EXT);
  EXPECT_EQ(over.size(), 6u + 2 * 65536 + 1);
}

TEST(EncodeLayout, BinaryAndBitString) {
  expect_layout(Term::binary(""), {131, 109, 0, 0, 0, 0});
  expect_layout(Term::binary("\x01\x02"), {131, 109, 0, 0, 0, 2, 1, 2});
  // <<1,2,3:4>>
  expect_layout(Term(BitString{Bytes::copy(Packet{1, 2, 0x30}), 4}),
                {131, 77, 0, 0, 0, 3, 4, 1, 2, 48});
  // <<1:1>>
  expect_layout(Term(BitString{Bytes::copy(Packet{0x80}), 1}), {131, 77, 0, 0, 0, 1, 1, 128});
}

TEST(EncodeLayout, MapWritesKeysInTermOrder) {
  expect_layout(Term::map({}), {131, 116, 0, 0, 0, 0});
  // #{1 => a, 1.0 => b, a => c, "x" => d}: integers before equal floats.
  Term map = Term::map({{atom("a"), atom("c")},
                        {Term::string("x"), atom("d")},
                        {Term(1.0), atom("b")},
                        {Term(1), atom("a")}});
  expect_layout(map, {131, 116, 0, 0,  0,   4, 97, 1,   119, 1,  97,  70, 63, 240, 0,   0, 0,  0, 0,
                      0,   119, 1, 98, 119, 1, 97, 119, 1,   99, 107, 0,  1,  120, 119, 1, 100});
}

TEST(EncodeLayout, NewPid) {
  expect_layout(
      Term(pid("nonode@nohost", 1, 2, 0)),
      cat({{131, 88, 119, 13}, text("nonode@nohost"), {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0}}));
}

TEST(EncodeLayout, PortsNarrowAndV4) {
  expect_layout(Term(Port{Atom("n"), 1, 1}), {131, 89, 119, 1, 110, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_layout(Term(Port{Atom("n"), 0x100000001, 1}),
                {131, 120, 119, 1, 110, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1});
}

TEST(EncodeLayout, NewerReference) {
  Reference ref{Atom("n"), 7, {1, 2, 3}};
  expect_layout(Term(ref),
                {131, 90, 0, 3, 119, 1, 110, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3});
  EXPECT_EQ(encode(Term(Reference{Atom("n"), 1, {}})).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode(Term(Reference{Atom("n"), 1, {1, 2, 3, 4, 5, 6}})).error().code,
            Errc::invalid_argument);
}

TEST(EncodeLayout, ExportFun) {
  expect_layout(Term(ExportFun{Atom("lists"), Atom("map"), 2}),
                cat({{131, 113, 119, 5}, text("lists"), {119, 3}, text("map"), {97, 2}}));
}

TEST(EncodeLayout, ClosureSizeCoversItsFreeVariables) {
  Closure fun;
  fun.arity = 1;
  for (uint8_t i = 0; i < 16; ++i) fun.uniq[i] = i;
  fun.index = 42;
  fun.module = Atom("m");
  fun.old_index = 42;
  fun.old_uniq = 3316493;
  fun.pid = pid("a", 9, 0, 0);
  fun.free_vars = {Term(7)};
  Packet bytes = {131, 112, 0, 0, 0, 57, 1};
  for (uint8_t i = 0; i < 16; ++i) bytes.push_back(i);
  bytes = cat({bytes, {0,  0,   0, 42, 0, 0, 0, 1, 119, 1, 109, 97, 42, 98, 0, 50, 155, 13,
                       88, 119, 1, 97, 0, 0, 0, 9, 0,   0, 0,   0,  0,  0,  0, 0,  97,  7}});
  ASSERT_EQ(bytes.size() - 2, 57u);  // Size counts from its own first byte
  expect_layout(Term(fun), bytes);
}

TEST(EncodeLayout, WithoutVersionByte) {
  EncodeOptions options;
  options.version = false;
  EXPECT_EQ(encoded(Term(5), options), (Packet{97, 5}));
  EXPECT_EQ(encoded_size(Term(5), options), 2u);
}

TEST(EncodeLayout, EncodeToAppends) {
  Packet out = {1, 2};
  ASSERT_TRUE(encode_to(out, Term(5)));
  EXPECT_EQ(out, (Packet{1, 2, 131, 97, 5}));
}

TEST(EncodeLayout, AtomCacheRefsReplaceKnownAtoms) {
  struct OnlyOk : AtomRefIndex {
    int lookup(const Atom& a) const override { return a.name == "ok" ? 3 : -1; }
  } refs;
  EncodeOptions options;
  options.version = false;
  options.atom_refs = &refs;
  EXPECT_EQ(encoded(tuple({atom("ok"), atom("x")}), options), (Packet{104, 2, 82, 3, 119, 1, 120}));
  EXPECT_EQ(encoded_size(tuple({atom("ok"), atom("x")}), options), 7u);
}

TEST(EncodeLayout, CompressedOnlyWhenSmaller) {
  EncodeOptions options;
  options.compress = true;
  EXPECT_EQ(encoded(atom("a"), options), (Packet{131, 119, 1, 97}));
  // term_to_binary(lists:duplicate(20, a), [compressed]) on OTP 25 with
  // minor_version 2.
  Term twenty = list(std::vector<Term>(20, atom("a")));
  EXPECT_EQ(encoded(twenty, options),
            (Packet{131, 80,  0,  0,  0,  66,  120, 156, 203, 97, 96, 96, 16,
                    41,  103, 76, 36, 27, 101, 1,   0,   57,  56, 17, 223}));
  EXPECT_EQ(decoded(encoded(twenty, options)), twenty);
}

}  // namespace
}  // namespace beamlink::etf::testing
