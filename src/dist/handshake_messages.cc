// Handshake message codecs; see handshake_messages.h for the layouts.
#include "dist/handshake_messages.h"

#include <openssl/evp.h>

#include "dist/wire.h"

namespace beamlink::dist {
namespace {

void append_text(std::vector<uint8_t>& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

std::string as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Checks the tag byte every message starts with.
Result<void> expect_tag(WireReader& reader, char tag) {
  auto got = reader.integer(1, "tag");
  if (!got) return std::unexpected(got.error());
  if (*got != static_cast<uint8_t>(tag)) {
    return reader.error(Errc::malformed, "tag",
                        "expected '" + std::string(1, tag) + "', got " + std::to_string(*got));
  }
  return {};
}

Result<Digest> read_digest(WireReader& reader) {
  auto bytes = reader.bytes(16, "digest");
  if (!bytes) return std::unexpected(bytes.error());
  Digest digest;
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

Result<std::string> read_name16(WireReader& reader) {
  auto length = reader.integer(2, "name length");
  if (!length) return std::unexpected(length.error());
  auto name = reader.bytes(*length, "name");
  if (!name) return std::unexpected(name.error());
  return as_text(*name);
}

}  // namespace

Digest challenge_digest(uint32_t challenge, std::string_view cookie) {
  std::string input(cookie);
  input += std::to_string(challenge);
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_md5(), nullptr);
  return digest;
}

std::vector<uint8_t> encode_name(const NameMessage& message) {
  std::vector<uint8_t> out;
  out.reserve(15 + message.name.size());
  if (message.version == 5) {
    out.push_back('n');
    append_be(out, 5, 2);
    append_be(out, message.flags & 0xffffffffu, 4);
  } else {
    out.push_back('N');
    append_be(out, message.flags, 8);
    append_be(out, message.creation, 4);
    append_be(out, message.name.size(), 2);
  }
  append_text(out, message.name);
  return out;
}

Result<NameMessage> parse_name(std::span<const uint8_t> body) {
  WireReader reader(body, "send_name");
  auto tag = reader.integer(1, "tag");
  if (!tag) return std::unexpected(tag.error());
  NameMessage message;
  if (*tag == 'N') {
    auto flags = reader.integer(8, "flags");
    if (!flags) return std::unexpected(flags.error());
    auto creation = reader.integer(4, "creation");
    if (!creation) return std::unexpected(creation.error());
    auto name = read_name16(reader);
    if (!name) return std::unexpected(name.error());
    message.flags = *flags;
    message.creation = static_cast<uint32_t>(*creation);
    message.name = std::move(*name);
    return message;  // a newer peer may append fields: ignored
  }
  if (*tag == 'n') {
    auto version = reader.integer(2, "version");
    if (!version) return std::unexpected(version.error());
    auto flags = reader.integer(4, "flags");
    if (!flags) return std::unexpected(flags.error());
    message.version = static_cast<uint16_t>(*version);
    message.flags = *flags;
    message.name = as_text(reader.rest());
    return message;
  }
  return reader.error(Errc::malformed, "tag", "expected 'N' or 'n', got " + std::to_string(*tag));
}

std::vector<uint8_t> encode_status(const StatusMessage& message) {
  std::vector<uint8_t> out{'s'};
  append_text(out, message.status);
  if (message.status == kStatusNamed) {
    append_be(out, message.named_name.size(), 2);
    append_text(out, message.named_name);
    append_be(out, message.named_creation, 4);
  }
  return out;
}

Result<StatusMessage> parse_status(std::span<const uint8_t> body) {
  WireReader reader(body, "status");
  if (auto tag = expect_tag(reader, 's'); !tag) return std::unexpected(tag.error());
  StatusMessage message;
  const std::string text = as_text(reader.rest());
  if (!text.starts_with(kStatusNamed)) {
    message.status = text;
    return message;
  }
  message.status = std::string(kStatusNamed);
  (void)reader.bytes(kStatusNamed.size(), "status");
  auto name = read_name16(reader);
  if (!name) return std::unexpected(name.error());
  auto creation = reader.integer(4, "creation");
  if (!creation) return std::unexpected(creation.error());
  message.named_name = std::move(*name);
  message.named_creation = static_cast<uint32_t>(*creation);
  return message;
}

std::vector<uint8_t> encode_challenge(const ChallengeMessage& message) {
  std::vector<uint8_t> out{'N'};
  out.reserve(19 + message.name.size());
  append_be(out, message.flags, 8);
  append_be(out, message.challenge, 4);
  append_be(out, message.creation, 4);
  append_be(out, message.name.size(), 2);
  append_text(out, message.name);
  return out;
}

Result<ChallengeMessage> parse_challenge(std::span<const uint8_t> body) {
  WireReader reader(body, "challenge");
  auto tag = reader.integer(1, "tag");
  if (!tag) return std::unexpected(tag.error());
  if (*tag == 'n') {
    return reader.error(Errc::unsupported, "tag",
                        "version 5 challenge: the peer is older than OTP 23");
  }
  if (*tag != 'N') {
    return reader.error(Errc::malformed, "tag", "expected 'N', got " + std::to_string(*tag));
  }
  ChallengeMessage message;
  auto flags = reader.integer(8, "flags");
  if (!flags) return std::unexpected(flags.error());
  auto challenge = reader.integer(4, "challenge");
  if (!challenge) return std::unexpected(challenge.error());
  auto creation = reader.integer(4, "creation");
  if (!creation) return std::unexpected(creation.error());
  auto name = read_name16(reader);
  if (!name) return std::unexpected(name.error());
  message.flags = *flags;
  message.challenge = static_cast<uint32_t>(*challenge);
  message.creation = static_cast<uint32_t>(*creation);
  message.name = std::move(*name);
  return message;
}

std::vector<uint8_t> encode_complement(const ComplementMessage& message) {
  std::vector<uint8_t> out{'c'};
  append_be(out, message.flags_high, 4);
  append_be(out, message.creation, 4);
  return out;
}

Result<ComplementMessage> parse_complement(std::span<const uint8_t> body) {
  WireReader reader(body, "complement");
  if (auto tag = expect_tag(reader, 'c'); !tag) return std::unexpected(tag.error());
  auto flags_high = reader.integer(4, "flags_high");
  if (!flags_high) return std::unexpected(flags_high.error());
  auto creation = reader.integer(4, "creation");
  if (!creation) return std::unexpected(creation.error());
  return ComplementMessage{static_cast<uint32_t>(*flags_high), static_cast<uint32_t>(*creation)};
}

std::vector<uint8_t> encode_challenge_reply(const ChallengeReply& message) {
  std::vector<uint8_t> out{'r'};
  append_be(out, message.challenge, 4);
  out.insert(out.end(), message.digest.begin(), message.digest.end());
  return out;
}

Result<ChallengeReply> parse_challenge_reply(std::span<const uint8_t> body) {
  WireReader reader(body, "challenge_reply");
  if (auto tag = expect_tag(reader, 'r'); !tag) return std::unexpected(tag.error());
  auto challenge = reader.integer(4, "challenge");
  if (!challenge) return std::unexpected(challenge.error());
  auto digest = read_digest(reader);
  if (!digest) return std::unexpected(digest.error());
  return ChallengeReply{static_cast<uint32_t>(*challenge), *digest};
}

std::vector<uint8_t> encode_challenge_ack(const ChallengeAck& message) {
  std::vector<uint8_t> out{'a'};
  out.insert(out.end(), message.digest.begin(), message.digest.end());
  return out;
}

Result<ChallengeAck> parse_challenge_ack(std::span<const uint8_t> body) {
  WireReader reader(body, "challenge_ack");
  if (auto tag = expect_tag(reader, 'a'); !tag) return std::unexpected(tag.error());
  auto digest = read_digest(reader);
  if (!digest) return std::unexpected(digest.error());
  return ChallengeAck{*digest};
}

std::vector<uint8_t> frame_handshake(std::span<const uint8_t> body) {
  std::vector<uint8_t> out;
  out.reserve(2 + body.size());
  append_be(out, body.size(), 2);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace beamlink::dist
