// Deterministic mutation loop: random damage to valid encodings must give a
// term or an Errc, never a crash, hang or out-of-bounds read (this binary
// also runs under ASan/UBSan in CI).
#include <gtest/gtest.h>

#include <random>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

std::vector<Packet> seeds() {
  Closure fun;
  fun.arity = 1;
  fun.module = Atom("m");
  fun.pid = pid("n@h", 1, 2, 3);
  fun.free_vars = {Term(1), Term::binary("x")};
  std::vector<Term> terms = {
      tuple({Term(1), Term(-70000), Term(int64_t{1} << 50), Term(2.5), atom("ok")}),
      list({Term::string("abc"), Term::improper_list({Term(1)}, Term(2)), Term::nil()}),
      Term::map({{atom("k"), Term::binary("v")}, {Term(1), tuple({})}}),
      Term(BitString{Bytes::copy(Packet{0xAB, 0xC0}), 3}),
      Term(pid("node@host", 1, 2, 3)),
      Term(Port{Atom("n"), uint64_t{1} << 33, 1}),
      Term(Reference{Atom("n"), 1, {1, 2, 3}}),
      Term(ExportFun{Atom("lists"), Atom("map"), 2}),
      Term(fun),
      Term(BigInt{true, std::vector<uint8_t>(20, 7)}),
  };
  std::vector<Packet> out;
  for (const Term& t : terms) out.push_back(encoded(t));
  EncodeOptions compress;
  compress.compress = true;
  out.push_back(encoded(list(std::vector<Term>(50, atom("repeat"))), compress));
  // Legacy tags too.
  out.push_back({131, 103, 100, 0, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 2, 3});
  out.push_back({131, 114, 0, 2, 100, 0, 1, 'n', 3, 0, 0, 0, 1, 0, 0, 0, 2});
  Packet f = {131, 99};
  for (char c : std::string("1.50000000000000000000e+00")) f.push_back(uint8_t(c));
  f.resize(33, 0);
  out.push_back(f);
  return out;
}

TEST(DecodeRobustness, MutatedEncodingsNeverCrash) {
  std::mt19937 rng(12345);
  std::vector<Packet> corpus = seeds();
  AtomRefTable table{{Atom("a"), Atom("b")}};
  DecodeOptions options;
  options.limits.max_depth = 64;
  options.atom_refs = &table;
  size_t ok = 0, failed = 0;
  for (int round = 0; round < 200000; ++round) {
    Packet bytes = corpus[rng() % corpus.size()];
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      if (bytes.empty()) break;
      size_t at = rng() % bytes.size();
      switch (rng() % 6) {
        case 0:
          bytes[at] = uint8_t(rng());
          break;
        case 1:
          bytes[at] ^= uint8_t(1u << (rng() % 8));
          break;
        case 2:
          bytes.resize(at);
          break;
        case 3:
          bytes.insert(bytes.begin() + at, uint8_t(rng()));
          break;
        case 4:
          bytes[at] = uint8_t(rng() % 2 ? 0xFF : 0x00);
          break;
        case 5:
          bytes.erase(bytes.begin() + at);
          break;
      }
    }
    auto term = decode(bytes, options);
    if (term) {
      ++ok;
      // Whatever decodes must encode (or be refused cleanly) and decode back.
      auto again = encode(*term);
      if (again) {
        auto back = decode(*again);
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, *term);
      }
    } else {
      ++failed;
      Errc code = term.error().code;
      ASSERT_TRUE(code == Errc::malformed || code == Errc::limit_exceeded ||
                  code == Errc::unsupported)
          << term.error().to_string();
      ASSERT_FALSE(term.error().message.empty());
    }
    auto one = decode_one(std::span(bytes).subspan(bytes.empty() ? 0 : 1), options);
    if (one) {
      ASSERT_LE(one->consumed, bytes.size());
    }
  }
  EXPECT_GT(ok, 1000u);
  EXPECT_GT(failed, 1000u);
}

TEST(DecodeRobustness, RandomBytesNeverCrash) {
  std::mt19937 rng(777);
  for (int round = 0; round < 50000; ++round) {
    Packet bytes(1 + rng() % 64);
    for (uint8_t& b : bytes) b = uint8_t(rng());
    bytes[0] = 131;
    auto term = decode(bytes);
    if (!term) {
      ASSERT_NE(term.error().code, Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace beamlink::etf::testing
