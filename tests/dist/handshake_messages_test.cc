// Handshake messages: exact bytes both ways and malformed input.
#include "dist/handshake_messages.h"

#include <gtest/gtest.h>

#include "dist/flags.h"

namespace beamlink::dist {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(HandshakeMessagesTest, DigestIsMd5OfCookieAndUnsignedDecimalChallenge) {
  // erlang:md5("secret" ++ integer_to_list(4294967295)), from a real erl.
  const Digest expected{93, 253, 24, 30, 105, 170, 88, 124, 200, 18, 235, 51, 62, 101, 54, 182};
  EXPECT_EQ(challenge_digest(0xffffffffu, "secret"), expected);
  EXPECT_NE(challenge_digest(1, "secret"), challenge_digest(1, "Secret"));
}

TEST(HandshakeMessagesTest, NameVersion6) {
  const NameMessage message{6, 0x0000000d07df7fbdull, 0x11223344, "a@h"};
  const Bytes expected{'N',  0,    0,    0,    0x0d, 0x07, 0xdf, 0x7f, 0xbd,
                       0x11, 0x22, 0x33, 0x44, 0,    3,    'a',  '@',  'h'};
  EXPECT_EQ(encode_name(message), expected);
  auto parsed = parse_name(expected);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->version, 6);
  EXPECT_EQ(parsed->flags, message.flags);
  EXPECT_EQ(parsed->creation, message.creation);
  EXPECT_EQ(parsed->name, "a@h");
}

TEST(HandshakeMessagesTest, NameVersion6IgnoresTrailingBytes) {
  const Bytes bytes{'N', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 1, 'x', 0xAA, 0xBB};
  auto parsed = parse_name(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "x");
  EXPECT_EQ(parsed->creation, 9u);
}

TEST(HandshakeMessagesTest, NameVersion5AsOtp23SendsIt) {
  const Bytes bytes = concat({{'n', 0, 5, 0x01, 0x07, 0xdf, 0x7f}, text("old@host")});
  auto parsed = parse_name(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->version, 5);
  EXPECT_EQ(parsed->flags, 0x0107df7fu);
  EXPECT_EQ(parsed->name, "old@host");
  EXPECT_EQ(encode_name({5, 0xff0107df7full, 0, "old@host"}), bytes);  // high flags dropped
}

TEST(HandshakeMessagesTest, NameErrors) {
  auto truncated = parse_name(Bytes{'N', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 5, 'x'});
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, Errc::malformed);
  EXPECT_EQ(truncated.error().message,
            "send_name: name at offset 15: truncated (need 5 bytes, 1 left)");
  auto bad_tag = parse_name(Bytes{'x'});
  ASSERT_FALSE(bad_tag);
  EXPECT_EQ(bad_tag.error().message, "send_name: tag at offset 1: expected 'N' or 'n', got 120");
  EXPECT_FALSE(parse_name(Bytes{}));
}

TEST(HandshakeMessagesTest, Status) {
  EXPECT_EQ(encode_status({"ok", {}, 0}), text("sok"));
  EXPECT_EQ(encode_status({"ok_simultaneous", {}, 0}), text("sok_simultaneous"));
  EXPECT_EQ(encode_status({"not_allowed", {}, 0}), text("snot_allowed"));
  EXPECT_EQ(parse_status(text("snok"))->status, "nok");
  EXPECT_EQ(parse_status(text("salive"))->status, "alive");
  EXPECT_EQ(parse_status(text("strue"))->status, "true");
  const Bytes named = concat({text("snamed:"), {0, 3}, text("x@h"), {0, 0, 1, 2}});
  EXPECT_EQ(encode_status({"named:", "x@h", 258}), named);
  auto parsed = parse_status(named);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->status, "named:");
  EXPECT_EQ(parsed->named_name, "x@h");
  EXPECT_EQ(parsed->named_creation, 258u);
  EXPECT_EQ(parse_status(text("rok")).error().message,
            "status: tag at offset 1: expected 's', got 114");
}

TEST(HandshakeMessagesTest, Challenge) {
  const ChallengeMessage message{0x0000000f07df7fbdull, 0xdeadbeef, 7, "b@h"};
  const Bytes expected{'N',  0,    0, 0, 0x0f, 0x07, 0xdf, 0x7f, 0xbd, 0xde, 0xad,
                       0xbe, 0xef, 0, 0, 0,    7,    0,    3,    'b',  '@',  'h'};
  EXPECT_EQ(encode_challenge(message), expected);
  auto parsed = parse_challenge(expected);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->flags, message.flags);
  EXPECT_EQ(parsed->challenge, 0xdeadbeefu);
  EXPECT_EQ(parsed->creation, 7u);
  EXPECT_EQ(parsed->name, "b@h");
  auto old = parse_challenge(Bytes{'n', 0, 5, 0, 0, 0, 0});
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, Errc::unsupported);
  auto truncated = parse_challenge(Bytes{'N', 0, 0, 0});
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message,
            "challenge: flags at offset 1: truncated (need 8 bytes, 3 left)");
}

TEST(HandshakeMessagesTest, ComplementReplyAck) {
  const Bytes complement{'c', 0, 0, 0, 0x0f, 0x12, 0x34, 0x56, 0x78};
  EXPECT_EQ(encode_complement({0x0f, 0x12345678}), complement);
  EXPECT_EQ(parse_complement(complement)->flags_high, 0x0fu);
  EXPECT_EQ(parse_complement(complement)->creation, 0x12345678u);

  Digest digest;
  for (size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<uint8_t>(i + 1);
  const Bytes reply = concat({{'r', 0x01, 0x02, 0x03, 0x04}, Bytes(digest.begin(), digest.end())});
  EXPECT_EQ(encode_challenge_reply({0x01020304, digest}), reply);
  EXPECT_EQ(parse_challenge_reply(reply)->challenge, 0x01020304u);
  EXPECT_EQ(parse_challenge_reply(reply)->digest, digest);

  const Bytes ack = concat({{'a'}, Bytes(digest.begin(), digest.end())});
  EXPECT_EQ(encode_challenge_ack({digest}), ack);
  EXPECT_EQ(parse_challenge_ack(ack)->digest, digest);

  auto short_ack = parse_challenge_ack(Bytes{'a', 1, 2, 3});
  ASSERT_FALSE(short_ack);
  EXPECT_EQ(short_ack.error().message,
            "challenge_ack: digest at offset 1: truncated (need 16 bytes, 3 left)");
  EXPECT_FALSE(parse_challenge_reply(Bytes{'r', 0, 0}));
  EXPECT_FALSE(parse_complement(Bytes{'c', 0, 0, 0, 0, 0, 0, 0}));
}

TEST(HandshakeMessagesTest, FrameAddsTwoByteLength) {
  EXPECT_EQ(frame_handshake(text("sok")), (Bytes{0, 3, 's', 'o', 'k'}));
}

}  // namespace
}  // namespace beamlink::dist
