// dist/handshake_messages.h - the messages of the distribution handshake
// (erl_dist_protocol, "Distribution Handshake"), as pure codecs.
//
// Every function works on a frame body: the bytes after the 2-byte length
// that frames each handshake message (frame_handshake adds it). Parsers
// never read past their input and fail with Errc::malformed naming the
// message, field and offset. Layouts:
//   send_name v6   'N' Flags:8 Creation:4 Nlen:2 Name   (trailing bytes ignored)
//   send_name v5   'n' Version:2 Flags:4 Name           (OTP 23/24 without EPMD)
//   status         's' Status                           ("named:" Nlen:2 Name Creation:4)
//   challenge      'N' Flags:8 Challenge:4 Creation:4 Nlen:2 Name
//   complement     'c' FlagsHigh:4 Creation:4
//   challenge_reply 'r' Challenge:4 Digest:16
//   challenge_ack  'a' Digest:16
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::dist {

using Digest = std::array<uint8_t, 16>;

// MD5(Cookie ++ integer_to_list(Challenge)): the challenge in decimal, as an
// unsigned 32-bit number.
Digest challenge_digest(uint32_t challenge, std::string_view cookie);

struct NameMessage {
  uint16_t version = 6;  // 6 sends 'N'; 5 sends 'n' (no creation, 32-bit flags)
  uint64_t flags = 0;
  uint32_t creation = 0;
  std::string name;
};

// Status strings. "alive" is answered by the initiator with "true" or "false".
inline constexpr std::string_view kStatusOk = "ok";
inline constexpr std::string_view kStatusOkSimultaneous = "ok_simultaneous";
inline constexpr std::string_view kStatusNok = "nok";
inline constexpr std::string_view kStatusNotAllowed = "not_allowed";
inline constexpr std::string_view kStatusAlive = "alive";
inline constexpr std::string_view kStatusNamed = "named:";

struct StatusMessage {
  std::string status;
  std::string named_name;       // only for "named:"
  uint32_t named_creation = 0;  // only for "named:"
};

struct ChallengeMessage {
  uint64_t flags = 0;
  uint32_t challenge = 0;
  uint32_t creation = 0;
  std::string name;
};

struct ComplementMessage {
  uint32_t flags_high = 0;
  uint32_t creation = 0;
};

struct ChallengeReply {
  uint32_t challenge = 0;
  Digest digest{};
};

struct ChallengeAck {
  Digest digest{};
};

std::vector<uint8_t> encode_name(const NameMessage& message);
std::vector<uint8_t> encode_status(const StatusMessage& message);
std::vector<uint8_t> encode_challenge(const ChallengeMessage& message);
std::vector<uint8_t> encode_complement(const ComplementMessage& message);
std::vector<uint8_t> encode_challenge_reply(const ChallengeReply& message);
std::vector<uint8_t> encode_challenge_ack(const ChallengeAck& message);

Result<NameMessage> parse_name(std::span<const uint8_t> body);
Result<StatusMessage> parse_status(std::span<const uint8_t> body);
Result<ChallengeMessage> parse_challenge(std::span<const uint8_t> body);
Result<ComplementMessage> parse_complement(std::span<const uint8_t> body);
Result<ChallengeReply> parse_challenge_reply(std::span<const uint8_t> body);
Result<ChallengeAck> parse_challenge_ack(std::span<const uint8_t> body);

// body prefixed with its 2-byte big-endian length. REQUIRES: body.size() <= 65535.
std::vector<uint8_t> frame_handshake(std::span<const uint8_t> body);

}  // namespace beamlink::dist
