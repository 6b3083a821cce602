// Gossip heartbeats; see gossip_packet.h for the wire format.
#include "discovery/gossip_packet.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#include "beamlink/etf.h"
#include "beamlink/term.h"

namespace beamlink::discovery::gossip {
namespace {

constexpr size_t kBlock = 16;
constexpr std::string_view kGcmInfo = "beamlink gossip aes-256-gcm v1";

std::unexpected<Error> packet_error(Errc code, std::string_view what) {
  return fail(code, "gossip packet: " + std::string(what));
}

bool starts_with(std::span<const uint8_t> bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), bytes.begin(),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

CipherCtx new_ctx() {
  return CipherCtx(EVP_CIPHER_CTX_new());
}

// One EVP update/final pass over `in`, appended to `out`; false on any error.
bool run_cipher(EVP_CIPHER_CTX* ctx, bool encrypt, std::span<const uint8_t> in,
                std::vector<uint8_t>& out) {
  const size_t start = out.size();
  out.resize(start + in.size() + kBlock);
  int written = 0;
  int final_written = 0;
  const auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  const auto final = encrypt ? EVP_EncryptFinal_ex : EVP_DecryptFinal_ex;
  if (!in.empty() &&
      update(ctx, out.data() + start, &written, in.data(), static_cast<int>(in.size())) != 1) {
    return false;
  }
  if (final(ctx, out.data() + start + written, &final_written) != 1) return false;
  out.resize(start + static_cast<size_t>(written) + static_cast<size_t>(final_written));
  return true;
}

bool node_name_char(char c, bool host) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (c == '_' || c == '-') return true;
  return host && (c == '.' || c == ':');
}

}  // namespace

Result<void> check_node_name(std::string_view node) {
  if (node.size() > kMaxNodeNameBytes) {
    return packet_error(Errc::malformed,
                        "node name of " + std::to_string(node.size()) + " bytes is over 255");
  }
  const auto at = node.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == node.size()) {
    return packet_error(Errc::malformed, "node '" + std::string(node) + "' is not name@host");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (i != at && !node_name_char(node[i], i > at)) {
      return packet_error(Errc::malformed,
                          "node name has a bad character at offset " + std::to_string(i));
    }
  }
  return {};
}

Result<std::vector<uint8_t>> heartbeat_plaintext(std::string_view node) {
  if (auto valid = check_node_name(node); !valid) {
    return fail(Errc::invalid_argument, valid.error().message);
  }
  std::vector<uint8_t> out(kHeartbeatPrefix.begin(), kHeartbeatPrefix.end());
  const Term term = Term::map({{Term::atom("node"), Term::atom(node)}});
  if (auto encoded = etf::encode_to(out, term); !encoded) return std::unexpected(encoded.error());
  return out;
}

Result<std::string> parse_heartbeat_plaintext(std::span<const uint8_t> plaintext) {
  if (!starts_with(plaintext, kHeartbeatPrefix)) {
    return packet_error(Errc::malformed, "not a heartbeat (no 'heartbeat::' prefix)");
  }
  etf::DecodeOptions options;
  options.limits.max_depth = 4;
  options.limits.max_terms = 32;
  options.limits.max_size = 4096;
  auto term = etf::decode(plaintext.subspan(kHeartbeatPrefix.size()), options);
  if (!term) return packet_error(term.error().code, "ETF: " + term.error().message);
  const auto* map = term->get_if<Map>();
  if (map == nullptr) return packet_error(Errc::malformed, "heartbeat term is not a map");
  const Term* node = map->find(Term::atom("node"));
  if (node == nullptr) return packet_error(Errc::malformed, "heartbeat map has no key 'node'");
  const auto* atom = node->get_if<Atom>();
  if (atom == nullptr) return packet_error(Errc::malformed, "heartbeat 'node' is not an atom");
  if (auto valid = check_node_name(atom->name); !valid) return std::unexpected(valid.error());
  return atom->name;
}

Key cbc_key(std::string_view secret) {
  Key key{};
  unsigned int size = 0;
  EVP_Digest(secret.data(), secret.size(), key.data(), &size, EVP_sha256(), nullptr);
  return key;
}

Result<Key> gcm_key(std::string_view secret) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                        EVP_KDF_free);
  if (!kdf) return fail(Errc::unsupported, "gossip: OpenSSL has no HKDF");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                EVP_KDF_CTX_free);
  std::string digest = "SHA256";
  std::string ikm(secret);
  std::string info(kGcmInfo);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  Key key{};
  if (!ctx || EVP_KDF_derive(ctx.get(), key.data(), key.size(), params) != 1) {
    return fail(Errc::io, "gossip: HKDF key derivation failed");
  }
  return key;
}

Result<std::vector<uint8_t>> cbc_seal(const Key& key, std::span<const uint8_t, kCbcIvSize> iv,
                                      std::span<const uint8_t> plaintext) {
  std::vector<uint8_t> padded(plaintext.begin(), plaintext.end());
  const size_t pad = kBlock - plaintext.size() % kBlock;  // 1..16, as PKCS#7
  padded.insert(padded.end(), pad, static_cast<uint8_t>(pad));
  std::vector<uint8_t> out(iv.begin(), iv.end());
  auto ctx = new_ctx();
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data()) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 || !run_cipher(ctx.get(), true, padded, out)) {
    return fail(Errc::io, "gossip: AES-256-CBC encryption failed");
  }
  return out;
}

Result<std::vector<uint8_t>> cbc_open(const Key& key, std::span<const uint8_t> packet) {
  if (packet.size() < kCbcIvSize + kBlock || (packet.size() - kCbcIvSize) % kBlock != 0) {
    return packet_error(Errc::malformed,
                        std::to_string(packet.size()) +
                            " bytes is not IV + whole AES blocks (truncated or not encrypted)");
  }
  std::vector<uint8_t> plain;
  auto ctx = new_ctx();
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), packet.data()) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      !run_cipher(ctx.get(), false, packet.subspan(kCbcIvSize), plain)) {
    return packet_error(Errc::malformed, "AES-256-CBC decryption failed");
  }
  // Strict PKCS#7: the last byte n is 1..16 and the last n bytes all equal n.
  const uint8_t pad = plain.back();
  const bool pad_ok =
      pad >= 1 && pad <= kBlock &&
      std::all_of(plain.end() - pad, plain.end(), [pad](uint8_t b) { return b == pad; });
  if (!pad_ok) return packet_error(Errc::malformed, "bad padding (wrong secret or corrupted)");
  plain.resize(plain.size() - pad);
  return plain;
}

Result<std::vector<uint8_t>> gcm_seal(const Key& key, std::span<const uint8_t, kGcmNonceSize> nonce,
                                      SystemTime timestamp, std::span<const uint8_t> plaintext) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(timestamp.time_since_epoch()).count();
  std::vector<uint8_t> inner(kTimestampSize);
  for (size_t i = 0; i < kTimestampSize; ++i) {
    inner[i] = static_cast<uint8_t>(static_cast<uint64_t>(ms) >> (8 * (kTimestampSize - 1 - i)));
  }
  inner.insert(inner.end(), plaintext.begin(), plaintext.end());
  std::vector<uint8_t> out(kGcmMagic.begin(), kGcmMagic.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  auto ctx = new_ctx();
  int aad_len = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &aad_len, out.data(),
                        static_cast<int>(kGcmMagic.size())) == 1 &&
      run_cipher(ctx.get(), true, inner, out);
  if (!ok) return fail(Errc::io, "gossip: AES-256-GCM encryption failed");
  const size_t tag_at = out.size();
  out.resize(tag_at + kGcmTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, out.data() + tag_at) != 1) {
    return fail(Errc::io, "gossip: AES-256-GCM tag failed");
  }
  return out;
}

Result<GcmOpened> gcm_open(const Key& key, std::span<const uint8_t> packet) {
  constexpr size_t kOverhead = kGcmMagic.size() + kGcmNonceSize + kGcmTagSize;
  if (!starts_with(packet, kGcmMagic)) {
    return packet_error(Errc::malformed, "no 'blgcm1' prefix (not an authenticated packet)");
  }
  if (packet.size() < kOverhead + kTimestampSize) {
    return packet_error(Errc::malformed, "authenticated packet of " +
                                             std::to_string(packet.size()) + " bytes is truncated");
  }
  const auto nonce = packet.subspan(kGcmMagic.size(), kGcmNonceSize);
  const auto body = packet.subspan(kGcmMagic.size() + kGcmNonceSize, packet.size() - kOverhead);
  std::array<uint8_t, kGcmTagSize> tag{};
  std::copy(packet.end() - kGcmTagSize, packet.end(), tag.begin());
  std::vector<uint8_t> inner;
  auto ctx = new_ctx();
  int aad_len = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &aad_len, packet.data(),
                        static_cast<int>(kGcmMagic.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) == 1 &&
      run_cipher(ctx.get(), false, body, inner);
  if (!ok) {
    return packet_error(Errc::malformed,
                        "authentication failed (wrong secret, tampered or truncated)");
  }
  uint64_t ms = 0;
  for (size_t i = 0; i < kTimestampSize; ++i) ms = (ms << 8) | inner[i];
  GcmOpened opened;
  opened.unix_ms = ms;
  opened.plaintext.assign(inner.begin() + kTimestampSize, inner.end());
  return opened;
}

Result<PacketCodec> PacketCodec::create(PacketConfig config) {
  if (config.security != Security::plaintext && config.secret.empty()) {
    return fail(Errc::invalid_argument, "gossip: an encrypted mode needs a non-empty secret");
  }
  PacketCodec codec(std::move(config));
  if (codec.config_.security == Security::cbc) codec.key_ = cbc_key(codec.config_.secret);
  if (codec.config_.security == Security::gcm) {
    auto key = gcm_key(codec.config_.secret);
    if (!key) return std::unexpected(key.error());
    codec.key_ = *key;
  }
  return codec;
}

Result<std::vector<uint8_t>> PacketCodec::encode(std::string_view node, SystemTime now) const {
  auto plaintext = heartbeat_plaintext(node);
  if (!plaintext || config_.security == Security::plaintext) return plaintext;
  if (config_.security == Security::cbc) {
    std::array<uint8_t, kCbcIvSize> iv{};
    if (RAND_bytes(iv.data(), iv.size()) != 1) return fail(Errc::io, "gossip: RAND_bytes failed");
    return cbc_seal(key_, iv, *plaintext);
  }
  std::array<uint8_t, kGcmNonceSize> nonce{};
  if (RAND_bytes(nonce.data(), nonce.size()) != 1) {
    return fail(Errc::io, "gossip: RAND_bytes failed");
  }
  return gcm_seal(key_, nonce, now, *plaintext);
}

Result<std::string> PacketCodec::decode(std::span<const uint8_t> packet, SystemTime now) const {
  if (packet.size() > config_.max_packet) {
    return packet_error(Errc::limit_exceeded, std::to_string(packet.size()) +
                                                  " bytes, over the limit of " +
                                                  std::to_string(config_.max_packet));
  }
  const bool plain = starts_with(packet, kHeartbeatPrefix);
  switch (config_.security) {
    case Security::plaintext:
      return parse_heartbeat_plaintext(packet);
    case Security::cbc: {
      auto opened = cbc_open(key_, packet);
      if (!opened && plain) {
        return packet_error(Errc::refused, "plaintext heartbeat refused: a secret is configured");
      }
      if (!opened && starts_with(packet, kGcmMagic)) {
        return packet_error(Errc::refused,
                            "authenticated (blgcm1) packet refused: this topology uses CBC");
      }
      if (!opened) return std::unexpected(opened.error());
      auto node = parse_heartbeat_plaintext(*opened);
      if (!node) return packet_error(Errc::malformed, "decrypted packet is not a heartbeat");
      return node;
    }
    case Security::gcm: {
      if (plain) {
        return packet_error(Errc::refused, "plaintext heartbeat refused: a secret is configured");
      }
      auto opened = gcm_open(key_, packet);
      if (!opened) return std::unexpected(opened.error());
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
      const int64_t window = config_.replay_window.count();
      // Both are in [0, 2^63), so the difference cannot overflow.
      const bool sane = opened->unix_ms <= static_cast<uint64_t>(INT64_MAX);
      const int64_t age = sane ? now_ms - static_cast<int64_t>(opened->unix_ms) : INT64_MIN;
      if (!sane || age > window || age < -window) {
        return packet_error(Errc::refused, "timestamp " + (sane ? std::to_string(age) : "far") +
                                               " ms old, outside the replay window of " +
                                               std::to_string(config_.replay_window.count()) +
                                               " ms");
      }
      return parse_heartbeat_plaintext(opened->plaintext);
    }
  }
  return packet_error(Errc::invalid_argument, "unknown security mode");
}

}  // namespace beamlink::discovery::gossip
