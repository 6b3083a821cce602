// The process-wide atom table (include/beamlink/atom.h, src/etf/atom_table.cc):
// interning, Erlang's atom order, the bound on the table and what happens
// past it, and the decoder interning straight from the bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/term.h"

namespace beamlink {
namespace {

// Lowers the table's limit to what it holds now (plus `room`) for one test.
class LimitScope {
 public:
  explicit LimitScope(size_t room) : saved_(atom_table_limit()) {
    set_atom_table_limit(atom_table_stats().interned + room);
  }
  ~LimitScope() { set_atom_table_limit(saved_); }
  LimitScope(const LimitScope&) = delete;
  LimitScope& operator=(const LimitScope&) = delete;

 private:
  size_t saved_;
};

std::vector<uint8_t> atom_bytes(uint8_t tag, std::string_view text) {
  std::vector<uint8_t> out{131, tag};
  if (tag == etf::ATOM_EXT || tag == etf::ATOM_UTF8_EXT) out.push_back(0);
  out.push_back(static_cast<uint8_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

std::string unique_text(const std::string& prefix) {
  static int counter = 0;
  return prefix + "_" + std::to_string(++counter) + "_" + std::to_string(::getpid());
}

TEST(AtomTable, SameTextIsTheSameHandle) {
  const std::string text = "bench_server@127.0.0.1";  // longer than SSO
  Atom a(text);
  Atom b{std::string_view(text)};
  EXPECT_TRUE(a.name.interned());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.name.data(), b.name.data());  // one entry, no copy of the text
  EXPECT_EQ(a.name, text);
  EXPECT_EQ(std::string(a.name), text);
  EXPECT_NE(Atom("bench_server@127.0.0.2"), a);
  EXPECT_EQ(Atom().name, "");
  EXPECT_EQ(Atom(""), Atom());
  EXPECT_EQ(std::hash<Atom>{}(a), std::hash<Atom>{}(b));
}

TEST(AtomTable, OrderIsByText) {
  // Erlang's atom order is by text, whatever order the atoms were made in.
  Atom zz(unique_text("zz"));
  Atom aa(unique_text("aa"));
  EXPECT_LT(aa, zz);
  EXPECT_LT(Term(aa), Term(zz));
  EXPECT_LT(Atom("a"), Atom("ab"));
  EXPECT_LT(Atom(""), Atom("a"));
  EXPECT_TRUE(Atom("b").name > "a");
}

TEST(AtomTable, NameReadsLikeAString) {
  Atom node("name@host");
  EXPECT_EQ(node.name.find('@'), 4u);
  EXPECT_EQ(node.name.substr(0, 4), "name");
  EXPECT_EQ(node.name + "!", "name@host!");
  EXPECT_EQ("<" + node.name, "<name@host");
  EXPECT_EQ(std::string("x") + node.name, "xname@host");
  std::string_view view = node.name;
  EXPECT_EQ(view, "name@host");
  node.name = "other@host";
  EXPECT_EQ(node, Atom("other@host"));
}

TEST(AtomTable, PastTheLimitAtomsAreUninternedAndStillCompareByText) {
  const Atom known("ok");  // in the table before the limit
  const AtomTableStats before = atom_table_stats();
  const std::string text = unique_text("past_limit");
  {
    LimitScope scope(0);
    Atom a(text);
    Atom b(text);
    EXPECT_FALSE(a.name.interned());
    EXPECT_FALSE(b.name.interned());
    EXPECT_NE(a.name.data(), b.name.data());  // two copies ...
    EXPECT_EQ(a, b);                          // ... equal by text
    EXPECT_EQ(std::hash<Atom>{}(a), std::hash<Atom>{}(b));
    EXPECT_EQ(a <=> b, std::strong_ordering::equal);
    EXPECT_NE(a, Atom(text + "x"));
    EXPECT_EQ(Term(a), Term::atom(text));
    // An atom the table already has is still the table's.
    EXPECT_TRUE(Atom("ok").name.interned());
    // Decoding untrusted input past the limit adds nothing to the table.
    auto decoded = etf::decode(atom_bytes(etf::SMALL_ATOM_UTF8_EXT, text));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->as<Atom>(), a);
    EXPECT_FALSE(decoded->as<Atom>().name.interned());
    EXPECT_EQ(atom_table_stats().interned, before.interned);
    EXPECT_GE(atom_table_stats().made_uninterned, before.made_uninterned + 3);
    // Copies share the one entry; moved-from handles are ''.
    Atom c = a;
    Atom d = std::move(c);
    EXPECT_EQ(d.name.data(), a.name.data());
    EXPECT_EQ(c, Atom());  // NOLINT(bugprone-use-after-move): defined as ''
  }
  // Freed with their last handles.
  EXPECT_EQ(atom_table_stats().uninterned_live, before.uninterned_live);
  // With room again the text is interned, and equals an uninterned copy.
  Atom uninterned;
  {
    LimitScope scope(0);
    uninterned = Atom(text);
  }
  Atom interned(text);
  EXPECT_TRUE(interned.name.interned());
  EXPECT_FALSE(uninterned.name.interned());
  EXPECT_EQ(interned, uninterned);
  EXPECT_EQ(uninterned, interned);
}

TEST(AtomTable, AFloodOfDistinctAtomsIsBounded) {
  const size_t start = atom_table_stats().interned;
  LimitScope scope(100);
  const std::string prefix = unique_text("flood");
  std::vector<Atom> kept;
  for (int i = 0; i < 1000; ++i) {
    auto decoded = etf::decode(atom_bytes(etf::SMALL_ATOM_UTF8_EXT, prefix + std::to_string(i)));
    ASSERT_TRUE(decoded);
    kept.push_back(decoded->as<Atom>());
  }
  EXPECT_EQ(atom_table_stats().interned, start + 100);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(kept[static_cast<size_t>(i)], Atom(prefix + std::to_string(i)));
    EXPECT_EQ(kept[static_cast<size_t>(i)].name.interned(), i < 100);
  }
}

// The same flood with long atoms: the byte bound stops it long before the
// count would.
TEST(AtomTable, LongAtomsAreBoundedByBytes) {
  const AtomTableStats start = atom_table_stats();
  const size_t saved = atom_table_byte_limit();
  set_atom_table_byte_limit(start.bytes + 64 * 1024);
  const std::string prefix = unique_text("long") + std::string(200, 'x');
  std::vector<Atom> kept;
  size_t interned = 0;
  for (int i = 0; i < 1000; ++i) {
    auto decoded = etf::decode(atom_bytes(etf::SMALL_ATOM_UTF8_EXT, prefix + std::to_string(i)));
    ASSERT_TRUE(decoded);
    kept.push_back(decoded->as<Atom>());
    if (kept.back().name.interned()) ++interned;
  }
  const AtomTableStats end = atom_table_stats();
  set_atom_table_byte_limit(saved);
  EXPECT_GT(interned, 0u);
  EXPECT_LT(interned, 1000u);
  EXPECT_EQ(end.interned, start.interned + interned);
  EXPECT_LE(end.bytes, start.bytes + 64 * 1024);
  EXPECT_GE(end.bytes, start.bytes + interned * 200);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(kept[static_cast<size_t>(i)], Atom(prefix + std::to_string(i)));
}

TEST(AtomTable, TextsLongerThanAnyWireAtomAreNotInterned) {
  const std::string text = unique_text("huge") + std::string(2000, 'y');
  Atom a(text);
  Atom b(text);
  EXPECT_FALSE(a.name.interned());
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.name.wire_valid());
  EXPECT_TRUE(Atom(std::string(1000, 'z')).name.interned());
}

TEST(AtomTable, ThreadsInterningTheSameTextsGetTheSameHandles) {
  const std::string prefix = unique_text("threads");
  constexpr int kThreads = 4;
  constexpr int kAtoms = 2000;  // enough to grow the shards' arrays meanwhile
  std::vector<std::vector<const char*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAtoms; ++i) {
        // Each thread in its own order, so inserts and lookups interleave.
        const int k = (t % 2 == 0) ? i : kAtoms - 1 - i;
        seen[static_cast<size_t>(t)].push_back(Atom(prefix + std::to_string(k)).name.data());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kAtoms; ++i) {
    const char* expected = Atom(prefix + std::to_string(i)).name.data();
    for (int t = 0; t < kThreads; ++t) {
      const int k = (t % 2 == 0) ? i : kAtoms - 1 - i;
      EXPECT_EQ(seen[static_cast<size_t>(t)][static_cast<size_t>(k)], expected);
    }
  }
}

TEST(AtomTable, DecoderReturnsTheInternedAtomWithoutACopy) {
  Atom known("decoder_known_atom_longer_than_sso");
  for (uint8_t tag : {etf::SMALL_ATOM_UTF8_EXT, etf::ATOM_UTF8_EXT, etf::SMALL_ATOM_EXT}) {
    auto decoded = etf::decode(atom_bytes(tag, "decoder_known_atom_longer_than_sso"));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->as<Atom>().name.data(), known.name.data()) << int(tag);
  }
}

TEST(AtomTable, ValidityIsKnownOnceAndNeverSkipsAWireCheck) {
  // An atom made in code with text the wire cannot carry is in the table;
  // the same bytes from a peer are still rejected, and encoding it fails.
  const std::string bad = "bad\xff" + unique_text("");
  Atom invalid(bad);
  EXPECT_FALSE(invalid.name.wire_valid());
  auto decoded = etf::decode(atom_bytes(etf::SMALL_ATOM_UTF8_EXT, bad));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("not valid UTF-8"), std::string::npos);
  EXPECT_FALSE(etf::encode(Term(invalid)));
  EXPECT_TRUE(Atom("ok").name.wire_valid());
}

TEST(AtomTable, Latin1BytesAboveAsciiAreNotReadAsUtf8) {
  // "é" in UTF-8 is C3 A9; the same bytes as Latin-1 (ATOM_EXT) are "Ã©".
  Atom e_acute("\xc3\xa9");
  auto decoded = etf::decode(atom_bytes(etf::SMALL_ATOM_EXT, "\xc3\xa9"));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->as<Atom>().name, "\xc3\x83\xc2\xa9");
  EXPECT_NE(decoded->as<Atom>(), e_acute);
}

}  // namespace
}  // namespace beamlink
