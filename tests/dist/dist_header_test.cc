// Distribution headers: exact bytes sent, every received form, fragment
// reassembly, and malformed input as literal bytes with specific errors.
#include "dist/dist_header.h"

#include <gtest/gtest.h>

#include "dist/control_message.h"

namespace beamlink::dist {
namespace {

using Bytes = std::vector<uint8_t>;

// {2, '', x} and 7: SEND with an atom for a pid keeps the bytes short.
const Term kControl = Term::tuple({SEND, Term::atom(""), Term::atom("x")});
const Term kPayload = Term(7);
const Bytes kControlBytes{104, 3, 97, 2, 119, 0, 119, 1, 'x'};

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Splits a buffer of 4-byte-length frames into frame bodies.
std::vector<Bytes> split_frames(const Bytes& bytes) {
  std::vector<Bytes> frames;
  for (size_t at = 0; at + 4 <= bytes.size();) {
    const size_t length = (size_t{bytes[at]} << 24) | (size_t{bytes[at + 1]} << 16) |
                          (size_t{bytes[at + 2]} << 8) | bytes[at + 3];
    frames.emplace_back(bytes.begin() + static_cast<ptrdiff_t>(at + 4),
                        bytes.begin() + static_cast<ptrdiff_t>(at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

// The reader's answer as "nullopt until a message is complete".
Result<std::optional<DistMessage>> read_one(DistReader& reader, const Bytes& frame) {
  DistMessage message;
  auto complete = reader.read(frame, message);
  if (!complete) return std::unexpected(complete.error());
  if (!*complete) return std::optional<DistMessage>();
  return std::optional<DistMessage>(std::move(message));
}

Error read_error(DistReader& reader, const Bytes& frame) {
  auto result = read_one(reader, frame);
  EXPECT_FALSE(result) << "expected an error";
  return result ? Error{} : result.error();
}

TEST(DistHeaderSendTest, NormalHeaderWithoutAtomCacheForFragmentsPeers) {
  Bytes out{0xEE};  // appends after what is there
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {true, 1024}, 1));
  EXPECT_EQ(out, concat({{0xEE, 0, 0, 0, 14, 131, 68, 0}, kControlBytes, {97, 7}}));
}

TEST(DistHeaderSendTest, PassThroughForPeersWithoutFragments) {
  Bytes out;
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {false, 4}, 1));
  EXPECT_EQ(out, concat({{0, 0, 0, 14, 112, 131}, kControlBytes, {131, 97, 7}}));
  out.clear();
  ASSERT_TRUE(append_message(out, kControl, nullptr, {false, 4}, 1));
  EXPECT_EQ(out, concat({{0, 0, 0, 11, 112, 131}, kControlBytes}));
}

TEST(DistHeaderSendTest, FragmentsExactBytes) {
  // 11 bytes of terms in fragments of 4: ids 3, 2, 1.
  Bytes out{0xAB};
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {true, 4}, 0x0102));
  const Bytes seq{0, 0, 0, 0, 0, 0, 1, 2};
  const Bytes expected = concat({
      {0xAB},
      {0, 0, 0, 23, 131, 69},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 3},
      {0},
      {104, 3, 97, 2},
      {0, 0, 0, 22, 131, 70},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 2},
      {119, 0, 119, 1},
      {0, 0, 0, 21, 131, 70},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 1},
      {'x', 97, 7},
  });
  EXPECT_EQ(out, expected);
}

TEST(DistHeaderSendTest, UnencodableTermLeavesBufferAlone) {
  Bytes out{1, 2, 3};
  const Term bad(Reference{Atom("a@b"), 0, {}});  // no id words
  EXPECT_FALSE(append_message(out, kControl, &bad, {true, 4}, 1));
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(DistReaderTest, ReadsPassThroughAndNormalHeader) {
  DistReader reader;
  auto pass = read_one(reader, concat({{112, 131}, kControlBytes, {131, 97, 7}}));
  ASSERT_TRUE(pass) << pass.error().to_string();
  ASSERT_TRUE(*pass);
  EXPECT_EQ((*pass)->control, kControl);
  EXPECT_EQ((*pass)->payload, kPayload);

  auto normal = read_one(reader, concat({{131, 68, 0}, kControlBytes, {97, 7}}));
  ASSERT_TRUE(normal && *normal);
  EXPECT_EQ((*normal)->control, kControl);

  // A control message without payload.
  const Term link = Term::tuple({LINK, Term::atom("a"), Term::atom("b")});
  auto bare = read_one(reader, concat({{131, 68, 0}, {104, 3, 97, 1, 119, 1, 'a', 119, 1, 'b'}}));
  ASSERT_TRUE(bare && *bare);
  EXPECT_EQ((*bare)->control, link);
  EXPECT_FALSE((*bare)->payload);
}

TEST(DistReaderTest, ReadsAtomCacheReferences) {
  etf::OutgoingAtomCache cache;
  DistReader reader;
  for (int round = 0; round < 2; ++round) {  // new entries, then cached ones
    Bytes frame{131, 68};
    std::vector<Atom> atoms;
    etf::collect_atoms(kControl, atoms);
    auto refs = cache.write(atoms, frame);
    ASSERT_TRUE(refs);
    etf::EncodeOptions options;
    options.version = false;
    options.atom_refs = &*refs;
    ASSERT_TRUE(etf::encode_to(frame, kControl, options));
    ASSERT_TRUE(etf::encode_to(frame, kPayload, options));
    auto message = read_one(reader, frame);
    ASSERT_TRUE(message) << message.error().to_string();
    ASSERT_TRUE(*message);
    EXPECT_EQ((*message)->control, kControl) << "round " << round;
  }
}

TEST(DistReaderTest, ReassemblesFragmentsInterleavedWithOtherMessages) {
  Bytes a;
  Bytes b;
  ASSERT_TRUE(append_message(a, kControl, &kPayload, {true, 4}, 7));
  const Term other = Term::binary(std::string(100, 'z'));
  ASSERT_TRUE(append_message(b, kControl, &other, {true, 30}, 8));
  auto fa = split_frames(a);
  auto fb = split_frames(b);
  ASSERT_EQ(fa.size(), 3u);
  ASSERT_EQ(fb.size(), 4u);
  DistReader reader;
  std::vector<DistMessage> done;
  auto feed = [&](const Bytes& frame) {
    auto message = read_one(reader, frame);
    ASSERT_TRUE(message) << message.error().to_string();
    if (*message) done.push_back(std::move(**message));
  };
  feed(fa[0]);
  feed(fb[0]);
  EXPECT_EQ(reader.pending_sequences(), 2u);
  feed(fb[1]);
  feed(fa[1]);
  feed(fb[2]);
  feed(fa[2]);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].payload, kPayload);
  feed(fb[3]);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1].payload, other);
  EXPECT_EQ(reader.pending_sequences(), 0u);
}

TEST(DistReaderTest, SingleFragmentMessage) {
  DistReader reader;
  const Bytes frame = concat(
      {{131, 69, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0}, kControlBytes, {97, 7}});
  auto message = read_one(reader, frame);
  ASSERT_TRUE(message && *message);
  EXPECT_EQ((*message)->payload, kPayload);
}

TEST(DistReaderTest, MalformedFramesGiveSpecificErrors) {
  DistReader reader;
  EXPECT_EQ(read_error(reader, {1}).message, "dist frame: byte 0 is 1, expected 112 or 131");
  EXPECT_EQ(read_error(reader, {131}).message, "dist frame: truncated after 131");
  EXPECT_EQ(read_error(reader, {131, 99}).message,
            "dist frame: 131 followed by 99, expected 68, 69 or 70");
  EXPECT_EQ(read_error(reader, {112, 97, 1}).message,
            "pass-through: control message: expected 131 at offset 0");
  EXPECT_EQ(read_error(reader, {112, 131, 97, 1}).message,
            "pass-through: control message is not a tuple with an op code");
  EXPECT_EQ(read_error(reader, {112, 131, 104, 1, 97, 2}).message,
            "pass-through: control message 2 without its payload");
  EXPECT_EQ(read_error(reader, {131, 68, 0, 104, 1, 97, 1, 97, 7, 0xff}).message,
            "DIST_HEADER: 1 bytes after the payload");
  const Error truncated_term = read_error(reader, {112, 131, 104, 3, 97});
  EXPECT_EQ(truncated_term.code, Errc::malformed);
  EXPECT_TRUE(truncated_term.message.starts_with("pass-through: control message: ETF"))
      << truncated_term.message;
  const Error cache = read_error(reader, {131, 68, 1});
  EXPECT_EQ(cache.code, Errc::malformed);
  EXPECT_TRUE(cache.message.starts_with("DIST_HEADER: atom cache: ")) << cache.message;
  EXPECT_EQ(read_error(reader, {131, 69, 0, 0}).message,
            "DIST_FRAG_HEADER: sequence id at offset 2: truncated (need 8 bytes, 2 left)");
}

Bytes frag(uint8_t tag, uint8_t seq, uint8_t id, const Bytes& data) {
  Bytes frame{131, tag, 0, 0, 0, 0, 0, 0, 0, seq, 0, 0, 0, 0, 0, 0, 0, id};
  if (tag == 69) frame.push_back(0);
  frame.insert(frame.end(), data.begin(), data.end());
  return frame;
}

TEST(DistReaderTest, FragmentSequenceErrors) {
  DistReader reader;
  EXPECT_EQ(read_error(reader, frag(70, 9, 1, {1})).message,
            "DIST_FRAG_CONT: sequence 9 was never started");
  EXPECT_EQ(read_error(reader, frag(69, 4, 0, {1})).message,
            "DIST_FRAG_HEADER: sequence 4: fragment id 0");

  ASSERT_TRUE(read_one(reader, frag(69, 5, 3, {104})));
  EXPECT_EQ(read_error(reader, frag(70, 5, 1, {3})).message,
            "DIST_FRAG_CONT: sequence 5: fragment 1, expected 2");
  EXPECT_EQ(reader.pending_sequences(), 0u);  // dropped

  ASSERT_TRUE(read_one(reader, frag(69, 6, 2, {104})));
  EXPECT_EQ(read_error(reader, frag(69, 6, 2, {104})).message,
            "DIST_FRAG_HEADER: sequence 6 is already open");
  EXPECT_EQ(reader.pending_sequences(), 0u);
}

TEST(DistReaderTest, ReassemblyIsBounded) {
  DistReader reader(ReassemblyLimits{8, 2});
  ASSERT_TRUE(read_one(reader, frag(69, 1, 3, {1, 2, 3, 4})));
  ASSERT_TRUE(read_one(reader, frag(70, 1, 2, {5, 6, 7, 8})));
  const Error size = read_error(reader, frag(70, 1, 1, {9}));
  EXPECT_EQ(size.code, Errc::limit_exceeded);
  EXPECT_EQ(size.message, "DIST_FRAG_CONT: sequence 1: over 8 bytes");
  EXPECT_EQ(reader.pending_sequences(), 0u);

  ASSERT_TRUE(read_one(reader, frag(69, 2, 3, {1})));
  ASSERT_TRUE(read_one(reader, frag(69, 3, 3, {1})));
  const Error many = read_error(reader, frag(69, 4, 3, {1}));
  EXPECT_EQ(many.code, Errc::limit_exceeded);
  EXPECT_EQ(many.message, "DIST_FRAG_HEADER: sequence 4: over 2 unfinished fragmented messages");

  DistReader small(ReassemblyLimits{4, 2});
  EXPECT_EQ(read_error(small, frag(69, 1, 2, {1, 2, 3, 4, 5})).code, Errc::limit_exceeded);
}

TEST(DistReaderTest, LargeMessageRoundTrip) {
  std::vector<uint8_t> data(3u << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  const Term big = Term::binary(std::span<const uint8_t>(data));
  Bytes out;
  ASSERT_TRUE(append_message(out, kControl, &big, {true, 64u << 10}, 99));
  auto frames = split_frames(out);
  EXPECT_EQ(frames.size(), 49u);  // 3 MiB + 15 bytes of terms in 64 KiB pieces
  DistReader reader;
  std::optional<DistMessage> done;
  for (const auto& frame : frames) {
    auto message = read_one(reader, frame);
    ASSERT_TRUE(message) << message.error().to_string();
    if (*message) done = std::move(**message);
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->payload, big);
}

TEST(ControlMessageTest, PayloadKinds) {
  for (int64_t op :
       {SEND, REG_SEND, SEND_TT, REG_SEND_TT, SEND_SENDER, SEND_SENDER_TT, PAYLOAD_EXIT,
        PAYLOAD_EXIT_TT, PAYLOAD_EXIT2, PAYLOAD_EXIT2_TT, PAYLOAD_MONITOR_P_EXIT, SPAWN_REQUEST,
        SPAWN_REQUEST_TT, ALIAS_SEND, ALIAS_SEND_TT}) {
    EXPECT_TRUE(carries_payload(op)) << op;
  }
  for (int64_t op :
       {LINK, EXIT, UNLINK, NODE_LINK, GROUP_LEADER, EXIT2, EXIT_TT, EXIT2_TT, MONITOR_P,
        DEMONITOR_P, MONITOR_P_EXIT, SPAWN_REPLY, SPAWN_REPLY_TT, UNLINK_ID, UNLINK_ID_ACK}) {
    EXPECT_FALSE(carries_payload(op)) << op;
  }
  EXPECT_EQ(UNLINK_ID_ACK, 36);
  EXPECT_EQ(control_op(kControl), SEND);
  EXPECT_EQ(control_op(Term(1)), std::nullopt);
  EXPECT_EQ(control_op(Term::tuple({})), std::nullopt);
}

}  // namespace
}  // namespace beamlink::dist
