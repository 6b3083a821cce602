#include "discovery/gossip_packet.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/term.h"

namespace beamlink::discovery::gossip {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

const SystemTime kNow = SystemTime(1'800'000'000'000ms);

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes etf_of(const Term& term) {
  return *etf::encode(term);
}

Bytes heartbeat_of(const Term& term) {
  return concat(bytes_of(kHeartbeatPrefix), etf_of(term));
}

PacketCodec codec(Security security, std::string secret = "s3cret") {
  PacketConfig config;
  config.security = security;
  config.secret = std::move(secret);
  auto made = PacketCodec::create(config);
  EXPECT_TRUE(made) << made.error().to_string();
  return *made;
}

// Raw AES-256-CBC without padding, so tests choose the padding bytes.
Bytes cbc_raw(const Key& key, const Bytes& iv, const Bytes& blocks) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, key.data(), iv.data());
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  Bytes out(blocks.size() + 16);
  int n = 0;
  int m = 0;
  EVP_EncryptUpdate(ctx, out.data(), &n, blocks.data(), static_cast<int>(blocks.size()));
  EVP_EncryptFinal_ex(ctx, out.data() + n, &m);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<size_t>(n + m));
  return concat(iv, out);
}

// erl (OTP 25): term_to_binary(#{node => 'a@h'}, [{minor_version, 2}]), which
// is also what OTP 26+ term_to_binary emits by default (SMALL_ATOM_UTF8_EXT).
const Bytes kErlHeartbeatAH = {104, 101, 97, 114, 116, 98,  101, 97,  116, 58,  58, 131, 116, 0,
                               0,   0,   1,  119, 4,   110, 111, 100, 101, 119, 3,  97,  64,  104};

TEST(GossipPacket, PlaintextBytesMatchErlang) {
  auto packet = heartbeat_plaintext("a@h");
  ASSERT_TRUE(packet) << packet.error().to_string();
  EXPECT_EQ(*packet, kErlHeartbeatAH);
  auto encoded = codec(Security::plaintext).encode("a@h", kNow);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, kErlHeartbeatAH);
  EXPECT_EQ(*codec(Security::plaintext).decode(kErlHeartbeatAH, kNow), "a@h");
}

TEST(GossipPacket, DecodesOtp25DefaultAtomExt) {
  // erl (OTP 25): <<"heartbeat::", (term_to_binary(#{node => 'peer@127.0.0.1'}))/binary>>
  const Bytes packet = {104, 101, 97,  114, 116, 98, 101, 97,  116, 58,  58,  131, 116, 0,
                        0,   0,   1,   100, 0,   4,  110, 111, 100, 101, 100, 0,   14,  112,
                        101, 101, 114, 64,  49,  50, 55,  46,  48,  46,  48,  46,  49};
  auto node = parse_heartbeat_plaintext(packet);
  ASSERT_TRUE(node) << node.error().to_string();
  EXPECT_EQ(*node, "peer@127.0.0.1");
}

TEST(GossipPacket, CbcSealMatchesErlangCrypto) {
  // erl: crypto:crypto_one_time(aes_256_cbc, crypto:hash(sha256, <<"s3cret">>),
  //      IV = <<1..16>>, PKCS#7(kErlHeartbeatAH), true), prefixed by IV.
  const Bytes expected = {1,   2,   3,  4,   5,   6,  7,   8,   9,   10, 11,  12,
                          13,  14,  15, 16,  138, 88, 201, 206, 203, 36, 250, 115,
                          110, 109, 17, 62,  88,  29, 224, 68,  163, 72, 254, 95,
                          87,  248, 14, 173, 250, 11, 83,  103, 192, 30, 86,  8};
  std::array<uint8_t, 16> iv{};
  for (size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<uint8_t>(i + 1);
  auto sealed = cbc_seal(cbc_key("s3cret"), iv, kErlHeartbeatAH);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(*sealed, expected);
  EXPECT_EQ(*codec(Security::cbc).decode(expected, kNow), "a@h");
}

TEST(GossipPacket, CbcDecryptsErlangOtp25Packet) {
  // erl: IV = <<200..215>>, secret "libcluster-secret", the OTP 25 default
  // term_to_binary(#{node => 'peer@127.0.0.1'}) (ATOM_EXT).
  const Bytes packet = {200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212,
                        213, 214, 215, 196, 144, 212, 180, 17,  20,  24,  215, 130, 149,
                        196, 243, 246, 13,  247, 115, 151, 43,  250, 81,  135, 20,  25,
                        152, 93,  247, 211, 156, 53,  45,  182, 80,  141, 182, 118, 10,
                        24,  240, 151, 126, 40,  68,  142, 202, 200, 159, 16,  186};
  auto node = codec(Security::cbc, "libcluster-secret").decode(packet, kNow);
  ASSERT_TRUE(node) << node.error().to_string();
  EXPECT_EQ(*node, "peer@127.0.0.1");
  auto wrong = codec(Security::cbc, "other").decode(packet, kNow);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::malformed);
}

TEST(GossipPacket, CbcRoundTripUsesFreshIvs) {
  const auto cbc = codec(Security::cbc);
  auto first = cbc.encode("node_1@host.example", kNow);
  auto second = cbc.encode("node_1@host.example", kNow);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(first->size() % 16, 0u);
  EXPECT_EQ(*cbc.decode(*first, kNow), "node_1@host.example");
  EXPECT_EQ(*cbc.decode(*second, kNow), "node_1@host.example");
}

TEST(GossipPacket, CbcRefusesPlaintextAndGcmPackets) {
  auto plain = codec(Security::cbc).decode(kErlHeartbeatAH, kNow);
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, Errc::refused);
  EXPECT_EQ(plain.error().message,
            "gossip packet: plaintext heartbeat refused: a secret is configured");
  auto gcm_packet = codec(Security::gcm).encode("a@h", kNow);
  auto refused = codec(Security::cbc).decode(*gcm_packet, kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::refused);
}

TEST(GossipPacket, CbcStrictPadding) {
  const Key key = cbc_key("s3cret");
  const Bytes iv(16, 7);
  Bytes body = kErlHeartbeatAH;  // 28 bytes: 4 bytes of padding make two blocks
  const auto with_tail = [&](Bytes tail) { return cbc_raw(key, iv, concat(body, tail)); };
  const auto cbc = codec(Security::cbc);
  EXPECT_EQ(*cbc.decode(with_tail({4, 4, 4, 4}), kNow), "a@h");
  for (const Bytes& tail : {Bytes{4, 4, 3, 4}, Bytes{1, 4, 4, 4}, Bytes{0, 0, 0, 0}}) {
    auto opened = cbc.decode(with_tail(tail), kNow);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message, "gossip packet: bad padding (wrong secret or corrupted)");
  }
  // A whole extra block of 17s (over the block size) and one of 16s (valid).
  body.insert(body.end(), {4, 4, 4, 4});
  EXPECT_FALSE(cbc.decode(cbc_raw(key, iv, concat(body, Bytes(16, 17))), kNow));
  EXPECT_EQ(cbc.decode(cbc_raw(key, iv, concat(body, Bytes(16, 16))), kNow).error().message,
            "gossip packet: decrypted packet is not a heartbeat");
}

TEST(GossipPacket, CbcTruncated) {
  const auto cbc = codec(Security::cbc);
  auto packet = *cbc.encode("a@h", kNow);
  for (size_t size : {size_t{0}, size_t{15}, size_t{16}, size_t{31}, packet.size() - 1}) {
    auto opened = cbc.decode(std::span(packet).first(size), kNow);
    ASSERT_FALSE(opened) << size;
    EXPECT_EQ(opened.error().code, Errc::malformed);
  }
  // Dropping the last block leaves valid sizes but (almost surely) bad padding.
  EXPECT_FALSE(cbc.decode(std::span(packet).first(packet.size() - 16), kNow));
}

TEST(GossipPacket, OversizeIsRefusedFirst) {
  Bytes packet = kErlHeartbeatAH;
  packet.resize(1501, 0);
  for (auto security : {Security::plaintext, Security::cbc, Security::gcm}) {
    auto decoded = codec(security).decode(packet, kNow);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Errc::limit_exceeded);
    EXPECT_EQ(decoded.error().message, "gossip packet: 1501 bytes, over the limit of 1500");
  }
}

TEST(GossipPacket, PlaintextShapeErrors) {
  const auto plain = codec(Security::plaintext);
  const auto message = [&](const Bytes& packet) {
    auto decoded = plain.decode(packet, kNow);
    return decoded ? "decoded " + *decoded : decoded.error().message;
  };
  EXPECT_EQ(message(bytes_of("hello")), "gossip packet: not a heartbeat (no 'heartbeat::' prefix)");
  EXPECT_EQ(message(heartbeat_of(Term::tuple({Term::atom("node"), Term::atom("a@h")}))),
            "gossip packet: heartbeat term is not a map");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("name"), Term::atom("a@h")}}))),
            "gossip packet: heartbeat map has no key 'node'");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::binary("node"), Term::atom("a@h")}}))),
            "gossip packet: heartbeat map has no key 'node'");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("node"), Term::binary("a@h")}}))),
            "gossip packet: heartbeat 'node' is not an atom");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("node"), Term::atom("nohost")}}))),
            "gossip packet: node 'nohost' is not name@host");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("node"), Term::atom("a b@h")}}))),
            "gossip packet: node name has a bad character at offset 1");
  EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("node"), Term::atom("a@h@i")}}))),
            "gossip packet: node name has a bad character at offset 3");
  for (const char* bad : {"a@", "@h"}) {
    EXPECT_EQ(message(heartbeat_of(Term::map({{Term::atom("node"), Term::atom(bad)}}))),
              "gossip packet: node '" + std::string(bad) + "' is not name@host");
  }
  // Extra keys are allowed, as libcluster may add some.
  EXPECT_EQ(message(heartbeat_of(Term::map(
                {{Term::atom("node"), Term::atom("a@h")}, {Term::atom("x"), Term::atom("y")}}))),
            "decoded a@h");
  EXPECT_EQ(message(bytes_of(kHeartbeatPrefix)).substr(0, 19), "gossip packet: ETF:");
  EXPECT_EQ(message(concat(kErlHeartbeatAH, {0})).substr(0, 19), "gossip packet: ETF:");
  EXPECT_EQ(message(Bytes(kErlHeartbeatAH.begin(), kErlHeartbeatAH.end() - 1)).substr(0, 19),
            "gossip packet: ETF:");
}

TEST(GossipPacket, EtfLimitsAreTight) {
  std::vector<Term> many(40, Term(1));
  auto wide = codec(Security::plaintext)
                  .decode(heartbeat_of(Term::map({{Term::atom("node"), Term::atom("a@h")},
                                                  {Term::atom("x"), Term::list(many)}})),
                          kNow);
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().code, Errc::limit_exceeded);
  Term deep = Term::atom("a@h");
  for (int i = 0; i < 8; ++i) deep = Term::tuple({deep});
  auto nested = codec(Security::plaintext).decode(heartbeat_of(deep), kNow);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, Errc::limit_exceeded);
}

TEST(GossipPacket, NodeNameBounds) {
  const std::string longest = "n@" + std::string(253, 'h');
  EXPECT_TRUE(check_node_name(longest));
  EXPECT_FALSE(check_node_name(longest + "h"));
  EXPECT_TRUE(check_node_name("my-app_1@10.0.0.1"));
  EXPECT_TRUE(check_node_name("n@::1"));
  EXPECT_FALSE(check_node_name("n.x@h"));
  EXPECT_EQ(heartbeat_plaintext("bad").error().code, Errc::invalid_argument);
}

TEST(GossipPacket, GcmRoundTripAndLayout) {
  const auto gcm = codec(Security::gcm);
  auto packet = gcm.encode("a@h", kNow);
  ASSERT_TRUE(packet);
  EXPECT_EQ(std::string(packet->begin(), packet->begin() + 6), "blgcm1");
  EXPECT_EQ(packet->size(), 6 + 12 + 8 + kErlHeartbeatAH.size() + 16);
  auto node = gcm.decode(*packet, kNow + 29s);
  ASSERT_TRUE(node) << node.error().to_string();
  EXPECT_EQ(*node, "a@h");
  auto opened = gcm_open(*gcm_key("s3cret"), *packet);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->unix_ms, 1'800'000'000'000u);
  EXPECT_EQ(opened->plaintext, kErlHeartbeatAH);
}

TEST(GossipPacket, GcmKeyIsHkdfAndDiffersFromCbcKey) {
  // erl: PRK = crypto:mac(hmac, sha256, <<0:256>>, <<"s3cret">>),
  //      crypto:mac(hmac, sha256, PRK, <<"beamlink gossip aes-256-gcm v1", 1>>)
  const Key expected = {56, 208, 156, 95,  193, 172, 198, 182, 238, 30,  64,
                        23, 97,  51,  205, 63,  74,  119, 0,   231, 136, 158,
                        89, 29,  51,  227, 6,   166, 238, 54,  232, 227};
  EXPECT_EQ(*gcm_key("s3cret"), expected);
  EXPECT_NE(*gcm_key("s3cret"), cbc_key("s3cret"));
}

TEST(GossipPacket, GcmTamperAnyByteFails) {
  const auto gcm = codec(Security::gcm);
  const auto packet = *gcm.encode("a@h", kNow);
  for (size_t i = 0; i < packet.size(); ++i) {
    Bytes tampered = packet;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(gcm.decode(tampered, kNow)) << "byte " << i;
  }
  for (size_t size = 0; size < packet.size(); ++size) {
    EXPECT_FALSE(gcm.decode(std::span(packet).first(size), kNow)) << "size " << size;
  }
  auto wrong = codec(Security::gcm, "other").decode(packet, kNow);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message,
            "gossip packet: authentication failed (wrong secret, tampered or truncated)");
}

TEST(GossipPacket, GcmReplayWindow) {
  const auto gcm = codec(Security::gcm);
  const auto packet = *gcm.encode("a@h", kNow);
  auto stale = gcm.decode(packet, kNow + 31s);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::refused);
  EXPECT_EQ(stale.error().message,
            "gossip packet: timestamp 31000 ms old, outside the replay window of 30000 ms");
  auto future = gcm.decode(packet, kNow - 31s);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, Errc::refused);
  EXPECT_TRUE(gcm.decode(packet, kNow - 30s));
}

TEST(GossipPacket, GcmRefusesPlaintextAndCbc) {
  const auto gcm = codec(Security::gcm);
  EXPECT_EQ(gcm.decode(kErlHeartbeatAH, kNow).error().code, Errc::refused);
  auto cbc_packet = *codec(Security::cbc).encode("a@h", kNow);
  auto refused = gcm.decode(cbc_packet, kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "gossip packet: no 'blgcm1' prefix (not an authenticated packet)");
}

TEST(GossipPacket, EncryptedModesNeedASecret) {
  PacketConfig config;
  config.security = Security::cbc;
  EXPECT_EQ(PacketCodec::create(config).error().code, Errc::invalid_argument);
  config.security = Security::gcm;
  EXPECT_EQ(PacketCodec::create(config).error().code, Errc::invalid_argument);
}

TEST(GossipPacket, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  const PacketCodec codecs[] = {codec(Security::plaintext), codec(Security::cbc),
                                codec(Security::gcm)};
  std::vector<Bytes> seeds = {kErlHeartbeatAH, *codecs[1].encode("a@h", kNow),
                              *codecs[2].encode("a@h", kNow)};
  size_t decoded = 0;
  for (int round = 0; round < 30000; ++round) {
    Bytes packet;
    if (round % 2 == 0) {
      packet.resize(rng() % 1600);
      for (auto& b : packet) b = static_cast<uint8_t>(rng());
      if (round % 4 == 0 && packet.size() >= kHeartbeatPrefix.size() + 1) {
        std::copy(kHeartbeatPrefix.begin(), kHeartbeatPrefix.end(), packet.begin());
        packet[kHeartbeatPrefix.size()] = 131;
      }
    } else {  // mutate a valid packet: flip, truncate or extend
      packet = seeds[rng() % seeds.size()];
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
        packet[rng() % packet.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      if (rng() % 4 == 0) packet.resize(rng() % (packet.size() + 8), 0x55);
    }
    for (const auto& c : codecs) decoded += c.decode(packet, kNow).has_value();
  }
  // Only a few mutated plaintext packets still read as a heartbeat.
  EXPECT_LT(decoded, 3000u);
}

}  // namespace
}  // namespace beamlink::discovery::gossip
