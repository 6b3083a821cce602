// discovery/gossip_packet.h - the gossip heartbeat packet as pure functions
// over bytes (no sockets, no clocks: callers pass the time and the IV).
//
// Wire format, compatible with libcluster's Cluster.Strategy.Gossip:
//   plaintext  "heartbeat::" ++ term_to_binary(#{node => Node})
//   cbc        IV (16 random bytes) ++ AES-256-CBC(key, IV, PKCS#7(plaintext))
//              with key = SHA-256(secret), as libcluster does with a :secret.
// beamlink's own authenticated mode (libcluster has no equivalent):
//   gcm        "blgcm1" ++ nonce (12) ++ AES-256-GCM ciphertext ++ tag (16)
//              of  timestamp (u64 big-endian, Unix milliseconds) ++ plaintext,
//              with the magic "blgcm1" as additional authenticated data and
//              key = HKDF-SHA256(ikm = secret, salt = "",
//                                info = "beamlink gossip aes-256-gcm v1"),
//              so the GCM key never equals the CBC key of the same secret.
//   A gcm packet whose timestamp is more than `replay_window` away from the
//   receiver's clock (either way, to allow for skew) is refused. Within the
//   window a recorded packet can be replayed; that only re-announces a node
//   that was really up moments ago, which gossip treats as harmless.
//
// Decoding contract: input is untrusted. Packets over max_packet bytes are
// refused before any work; CBC padding is checked strictly (1..16 bytes, all
// equal); the ETF is decoded with tight DecodeLimits; the term must be a map
// with the atom key `node` whose value is an atom of the form name@host
// (name [A-Za-z0-9_-], host [A-Za-z0-9._:-], at most 255 bytes in all).
// Every failure is an Error (malformed, limit_exceeded or refused) whose
// message starts "gossip packet: ". Thread-compatible: a PacketCodec is
// immutable after create() and may be shared between threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::discovery::gossip {

inline constexpr std::string_view kHeartbeatPrefix = "heartbeat::";
inline constexpr std::string_view kGcmMagic = "blgcm1";
inline constexpr size_t kCbcIvSize = 16;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;
inline constexpr size_t kTimestampSize = 8;
inline constexpr size_t kDefaultMaxPacket = 1500;
inline constexpr size_t kMaxNodeNameBytes = 255;

using Key = std::array<uint8_t, 32>;
using SystemTime = std::chrono::system_clock::time_point;

enum class Security { plaintext, cbc, gcm };

struct PacketConfig {
  Security security = Security::plaintext;
  std::string secret;  // REQUIRES: non-empty for cbc and gcm
  size_t max_packet = kDefaultMaxPacket;
  std::chrono::milliseconds replay_window{30000};  // gcm only
};

// Encodes and decodes heartbeats for one configuration; keys are derived
// once in create().
class PacketCodec {
 public:
  static Result<PacketCodec> create(PacketConfig config);

  // A heartbeat announcing `node`, with a fresh random IV / nonce.
  Result<std::vector<uint8_t>> encode(std::string_view node, SystemTime now) const;
  // The node a heartbeat announces. With a secret, plaintext packets are
  // refused; in gcm mode, cbc packets are refused too.
  Result<std::string> decode(std::span<const uint8_t> packet, SystemTime now) const;

  Security security() const { return config_.security; }

 private:
  explicit PacketCodec(PacketConfig config) : config_(std::move(config)) {}
  PacketConfig config_;
  Key key_{};
};

// Building blocks, public so tests can use fixed IVs and vectors from erl.

// "heartbeat::" ++ term_to_binary(#{node => Node}); invalid_argument when
// `node` is not a valid node name.
Result<std::vector<uint8_t>> heartbeat_plaintext(std::string_view node);
// The node of a plaintext heartbeat (prefix included).
Result<std::string> parse_heartbeat_plaintext(std::span<const uint8_t> plaintext);
Result<void> check_node_name(std::string_view node);

Key cbc_key(std::string_view secret);  // SHA-256(secret), as libcluster
Result<Key> gcm_key(std::string_view secret);

Result<std::vector<uint8_t>> cbc_seal(const Key& key, std::span<const uint8_t, kCbcIvSize> iv,
                                      std::span<const uint8_t> plaintext);
// IV ++ ciphertext -> plaintext, padding checked strictly.
Result<std::vector<uint8_t>> cbc_open(const Key& key, std::span<const uint8_t> packet);

Result<std::vector<uint8_t>> gcm_seal(const Key& key, std::span<const uint8_t, kGcmNonceSize> nonce,
                                      SystemTime timestamp, std::span<const uint8_t> plaintext);
struct GcmOpened {
  uint64_t unix_ms = 0;            // as sent (unchecked: decode checks it)
  std::vector<uint8_t> plaintext;  // the timestamp removed
};
Result<GcmOpened> gcm_open(const Key& key, std::span<const uint8_t> packet);

}  // namespace beamlink::discovery::gossip
