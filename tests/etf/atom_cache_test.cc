// The distribution header's atom cache, both directions, including the
// round trip sender header -> receiver table -> decode, and malformed
// headers.
#include "etf/atom_cache.h"

#include <gtest/gtest.h>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

TEST(AtomCache, ParsesNewAndCachedEntries) {
  AtomCache cache;
  // Two refs: ref 0 new in segment 1, internal 5, "ok"; ref 1 new in segment
  // 0, internal 7, "x". Flags byte 0: low half ref 0 (8|1), high half ref 1
  // (8|0); byte 1: LongAtoms half = 0.
  Packet first = {2, 0x89, 0x00, 5, 2, 'o', 'k', 7, 1, 'x'};
  auto header = cache.read(first);
  ASSERT_TRUE(header) << header.error().to_string();
  EXPECT_EQ(header->consumed, first.size());
  EXPECT_EQ(header->refs.atoms, (std::vector<Atom>{Atom("ok"), Atom("x")}));
  ASSERT_NE(cache.slot(256 + 5), nullptr);
  EXPECT_EQ(*cache.slot(256 + 5), Atom("ok"));

  // Later: one cached ref to segment 1 internal 5, then the term bytes.
  Packet second = {1, 0x01, 5, 104, 1, 82, 0};
  header = cache.read(second);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->consumed, 3u);
  EXPECT_EQ(header->refs.atoms, std::vector<Atom>{Atom("ok")});
  DecodeOptions options;
  options.atom_refs = &header->refs;
  auto term = decode_one(std::span(second).subspan(header->consumed), options);
  ASSERT_TRUE(term);
  EXPECT_EQ(term->term, tuple({atom("ok")}));
}

TEST(AtomCache, ZeroRefsHasNoFlags) {
  AtomCache cache;
  auto header = cache.read(Packet{0, 97, 1});
  ASSERT_TRUE(header);
  EXPECT_EQ(header->consumed, 1u);
  EXPECT_TRUE(header->refs.atoms.empty());
}

TEST(AtomCache, LongAtomsUseTwoByteLengths) {
  AtomCache cache;
  // One ref: flags byte low half = new, segment 2; high half = LongAtoms.
  Packet bytes = {1, 0x1A, 9, 0, 3, 'a', 'b', 'c'};
  auto header = cache.read(bytes);
  ASSERT_TRUE(header) << header.error().to_string();
  EXPECT_EQ(header->refs.atoms, std::vector<Atom>{Atom("abc")});
  EXPECT_EQ(*cache.slot(2 * 256 + 9), Atom("abc"));
}

TEST(AtomCache, MalformedHeaders) {
  struct Case {
    const char* name;
    Packet bytes;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"empty",
            {},
            "ETF atom cache header at offset 0: truncated: need NumberOfAtomCacheRefs"},
           {"no flags",
            {3, 0x88},
            "ETF atom cache header at offset 1: truncated: need 2 flag "
            "bytes, 1 left"},
           {"empty slot",
            {1, 0x03, 4},
            "ETF atom cache header at offset 2: reference 0 names empty cache slot 772"},
           {"missing ref",
            {2, 0x88, 0, 1, 1, 'a'},
            "ETF atom cache header at offset 6: truncated: reference 1 of 2 is missing"},
           {"missing length",
            {1, 0x08, 1},
            "ETF atom cache header at offset 2: truncated: need a 1-byte atom length"},
           {"short text",
            {1, 0x08, 1, 5, 'a', 'b'},
            "ETF atom cache header at offset 2: atom text of 5 bytes but only 2 remain"},
           {"bad utf8",
            {1, 0x08, 1, 2, 0xC0, 0x80},
            "ETF atom cache header at offset 2: atom text is not valid UTF-8"},
       }) {
    AtomCache cache;
    auto header = cache.read(c.bytes);
    ASSERT_FALSE(header) << c.name;
    EXPECT_EQ(header.error().code, Errc::malformed) << c.name;
    EXPECT_EQ(header.error().message, c.message) << c.name;
  }
}

TEST(AtomCache, FailedHeaderLeavesCacheUnchanged) {
  AtomCache cache;
  // Ref 0 would fill slot 1, but ref 1 names an empty slot.
  auto header = cache.read(Packet{2, 0x08, 0x00, 1, 1, 'a', 2});
  ASSERT_FALSE(header);
  EXPECT_EQ(cache.slot(1), nullptr);
}

TEST(AtomCache, CachedRefMayNameAnEntryEarlierInTheSameHeader) {
  AtomCache cache;
  auto header = cache.read(Packet{2, 0x08, 0x00, 1, 1, 'a', 1});
  ASSERT_TRUE(header) << header.error().to_string();
  EXPECT_EQ(header->refs.atoms, (std::vector<Atom>{Atom("a"), Atom("a")}));
}

TEST(OutgoingAtomCache, FirstUseIsNewThenCached) {
  OutgoingAtomCache out;
  std::vector<Atom> atoms = {Atom("ok"), Atom("ok"), Atom("hello")};
  Packet first;
  auto refs = out.write(atoms, first);
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->size(), 2u);
  EXPECT_EQ(refs->lookup(Atom("ok")), 0);
  EXPECT_EQ(refs->lookup(Atom("hello")), 1);
  EXPECT_EQ(refs->lookup(Atom("other")), -1);
  size_t ok_slot = OutgoingAtomCache::slot_for("ok");
  size_t hello_slot = OutgoingAtomCache::slot_for("hello");
  Packet expected = {2,   uint8_t(0x08 | ok_slot / 256 | (0x08 | hello_slot / 256) << 4),
                     0,   uint8_t(ok_slot % 256),
                     2,   'o',
                     'k', uint8_t(hello_slot % 256),
                     5,   'h',
                     'e', 'l',
                     'l', 'o'};
  EXPECT_EQ(first, expected);

  Packet second;
  refs = out.write(std::vector<Atom>{Atom("hello")}, second);
  ASSERT_TRUE(refs);
  EXPECT_EQ(second, (Packet{1, uint8_t(hello_slot / 256), uint8_t(hello_slot % 256)}));
}

TEST(OutgoingAtomCache, RoundTripThroughTheReceiver) {
  OutgoingAtomCache sender;
  AtomCache receiver;
  std::string long_name;
  for (int i = 0; i < 100; ++i) long_name += "\xC3\xA5";  // 200 bytes
  long_name += std::string(60, 'z');                      // 260 bytes: LongAtoms
  Term messages[] = {
      tuple({atom("call"), Term(pid("node@host", 1, 2, 3)), atom("ok")}),
      tuple({atom("call"), atom("ok"), atom("new_one"), list({atom("call")})}),
      tuple({atom(long_name), Term(Reference{Atom("node@host"), 1, {1, 2, 3}})}),
      Term::map({{atom("ok"), atom(long_name)}}),
  };
  for (const Term& message : messages) {
    std::vector<Atom> atoms;
    collect_atoms(message, atoms);
    Packet wire;
    auto refs = sender.write(atoms, wire);
    ASSERT_TRUE(refs);
    EncodeOptions encode_options;
    encode_options.version = false;
    encode_options.atom_refs = &*refs;
    size_t header_size = wire.size();
    ASSERT_TRUE(encode_to(wire, message, encode_options));
    EXPECT_EQ(wire.size() - header_size, encoded_size(message, encode_options));

    auto header = receiver.read(wire);
    ASSERT_TRUE(header) << header.error().to_string();
    EXPECT_EQ(header->consumed, header_size);
    DecodeOptions decode_options;
    decode_options.atom_refs = &header->refs;
    auto term = decode_one(std::span(wire).subspan(header->consumed), decode_options);
    ASSERT_TRUE(term) << term.error().to_string();
    EXPECT_EQ(term->term, message);
    EXPECT_EQ(header->consumed + term->consumed, wire.size());
  }
}

TEST(OutgoingAtomCache, CollidingSlotsInOneMessageStayConsistent) {
  // Find two atoms sharing a slot; both go in one header, in either order.
  std::string a = "a0", b;
  for (int i = 1; b.empty(); ++i) {
    std::string candidate = "a" + std::to_string(i);
    if (OutgoingAtomCache::slot_for(candidate) == OutgoingAtomCache::slot_for(a)) b = candidate;
  }
  OutgoingAtomCache sender;
  AtomCache receiver;
  for (int round = 0; round < 3; ++round) {
    std::vector<Atom> atoms =
        round % 2 == 0 ? std::vector<Atom>{Atom(a), Atom(b)} : std::vector<Atom>{Atom(b), Atom(a)};
    Packet wire;
    auto refs = sender.write(atoms, wire);
    ASSERT_TRUE(refs);
    auto header = receiver.read(wire);
    ASSERT_TRUE(header) << header.error().to_string();
    EXPECT_EQ(header->refs.atoms, atoms);
  }
}

TEST(OutgoingAtomCache, AtMost255RefsAndTheRestWrittenInFull) {
  std::vector<Atom> atoms;
  for (int i = 0; i < 300; ++i) atoms.emplace_back("atom_" + std::to_string(i));
  OutgoingAtomCache sender;
  AtomCache receiver;
  Packet wire;
  auto refs = sender.write(atoms, wire);
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->size(), 255u);
  EXPECT_EQ(refs->lookup(Atom("atom_254")), 254);
  EXPECT_EQ(refs->lookup(Atom("atom_255")), -1);
  auto header = receiver.read(wire);
  ASSERT_TRUE(header) << header.error().to_string();
  EXPECT_EQ(header->refs.atoms.size(), 255u);
}

TEST(OutgoingAtomCache, RejectsAtomsEtfCannotCarry) {
  OutgoingAtomCache sender;
  Packet wire;
  auto refs = sender.write(std::vector<Atom>{Atom(std::string(256, 'x'))}, wire);
  ASSERT_FALSE(refs);
  EXPECT_EQ(refs.error().code, Errc::invalid_argument);
}

TEST(CollectAtoms, FindsAtomsEverywhereOnce) {
  Closure fun;
  fun.module = Atom("mod");
  fun.pid = pid("n1", 0, 0, 0);
  fun.free_vars = {atom("free")};
  Term term =
      list({atom("a"), Term(pid("n1", 1, 1, 1)), Term(Port{Atom("n2"), 1, 1}),
            Term(ExportFun{Atom("m"), Atom("f"), 1}), Term(fun),
            Term::map({{atom("k"), atom("a")}}), Term::improper_list({Term(1)}, atom("t"))});
  std::vector<Atom> atoms;
  collect_atoms(term, atoms);
  EXPECT_EQ(atoms, (std::vector<Atom>{Atom("a"), Atom("n1"), Atom("n2"), Atom("m"), Atom("f"),
                                      Atom("mod"), Atom("free"), Atom("k"), Atom("t")}));
  std::vector<Atom> limited;
  collect_atoms(term, limited, 2);
  EXPECT_EQ(limited.size(), 2u);
}

}  // namespace
}  // namespace beamlink::etf::testing
