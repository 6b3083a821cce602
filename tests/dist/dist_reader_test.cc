// Receiving distribution headers: every form, fragment reassembly,
// malformed input as literal bytes with specific errors, and the bounds:
// over-limit messages discarded (their later fragments skipped), the
// per-connection sequence count, and the node-wide budget shared by
// readers.
#include "dist/dist_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dist/control_message.h"
#include "dist/dist_frames.h"
#include "dist/dist_header.h"
#include "etf/atom_cache.h"

namespace beamlink::dist {
namespace {

using namespace beamlink::dist::testing;

// A reader whose discards are recorded.
struct Recorded {
  explicit Recorded(ReassemblyLimits limits, std::shared_ptr<ReceiveBudget> budget = nullptr)
      : reader(limits, std::move(budget),
               [this](const std::string& why) { reasons.push_back(why); }) {}
  std::vector<std::string> reasons;
  DistReader reader;
};

// A pass-through SEND {2, '', x} carrying `payload`.
Bytes pass_through(const Term& payload) {
  Bytes frame{112, 131};
  frame.insert(frame.end(), kControlBytes.begin(), kControlBytes.end());
  auto encoded = etf::encode(payload);
  EXPECT_TRUE(encoded);
  frame.insert(frame.end(), encoded->begin(), encoded->end());
  return frame;
}

// A normal-header SEND {2, '', x} carrying the integer `n`.
Bytes small(uint8_t n) {
  return concat({{131, 68, 0}, kControlBytes, {97, n}});
}

void expect_message(DistReader& reader, const Bytes& frame, const Term& payload) {
  auto message = read_one(reader, frame);
  ASSERT_TRUE(message) << message.error().to_string();
  ASSERT_TRUE(*message) << "no message completed";
  EXPECT_EQ((*message)->payload, payload);
}

void expect_nothing(DistReader& reader, const Bytes& frame) {
  auto message = read_one(reader, frame);
  ASSERT_TRUE(message) << message.error().to_string();
  EXPECT_FALSE(*message);
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

TEST(DistReaderLimitsTest, OverLimitUnfragmentedMessageIsDiscardedAndTheNextOneRead) {
  Recorded r({.max_message_size = 64});
  const Bytes big = pass_through(Term::binary(std::string(100, 'b')));
  ASSERT_GT(big.size(), 64u);
  expect_nothing(r.reader, big);
  EXPECT_EQ(r.reader.discarded(), 1u);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0],
            "message of " + std::to_string(big.size()) + " bytes, over max_message_size (64)");
  // admit() says so from the first bytes, before the frame is buffered.
  auto admitted = r.reader.admit(std::span(big).first(DistReader::kHeadSize), big.size());
  ASSERT_TRUE(admitted);
  EXPECT_FALSE(*admitted);
  expect_message(r.reader, small(5), Term(5));
}

TEST(DistReaderLimitsTest, OverLimitFragmentedMessageSkipsItsRestAndIsReportedOnce) {
  Recorded r({.max_message_size = 16, .max_sequences = 4});
  expect_nothing(r.reader, frag(69, 1, 4, {104, 3, 97}));
  expect_nothing(r.reader, frag(70, 1, 3, {2, 119, 0, 119}));
  EXPECT_EQ(r.reader.pending_sequences(), 1u);
  expect_message(r.reader, small(1), Term(1));             // interleaved with the big one
  expect_nothing(r.reader, frag(70, 1, 2, Bytes(10, 1)));  // 17 bytes: over
  EXPECT_EQ(r.reader.pending_sequences(), 0u);
  EXPECT_EQ(r.reader.discarding_sequences(), 1u);
  // The last fragment is skipped unread; admit() answers from its head.
  const Bytes last = frag(70, 1, 1, {97, 7});
  auto admitted = r.reader.admit(std::span(last).first(DistReader::kHeadSize), last.size());
  ASSERT_TRUE(admitted);
  EXPECT_FALSE(*admitted);
  EXPECT_EQ(r.reader.discarding_sequences(), 0u);
  expect_message(r.reader, small(2), Term(2));
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0],
            "DIST_FRAG_CONT: sequence 1: 17 bytes so far, over max_message_size (16)");
  EXPECT_EQ(r.reader.discarded(), 1u);

  // A first fragment already over the limit: every later one is skipped.
  expect_nothing(r.reader, frag(69, 2, 3, Bytes(20, 97)));
  expect_nothing(r.reader, frag(70, 2, 2, {1}));
  expect_nothing(r.reader, frag(70, 2, 1, {1}));
  EXPECT_EQ(r.reader.discarding_sequences(), 0u);
  EXPECT_EQ(r.reader.discarded(), 2u);
  EXPECT_EQ(r.reasons.size(), 2u);
  // Skipped fragments still have to come in order.
  expect_nothing(r.reader, frag(69, 3, 3, Bytes(20, 97)));
  EXPECT_EQ(read_error(r.reader, frag(70, 3, 1, {1})).message,
            "DIST_FRAG_CONT: sequence 3: fragment 1, expected 2");
}

TEST(DistReaderLimitsTest, TooManyUnfinishedSequencesDiscardsTheNewOne) {
  Recorded r({.max_message_size = 1u << 20, .max_sequences = 2});
  expect_nothing(r.reader, frag(69, 2, 2, {104, 3, 97, 2, 119, 0}));
  expect_nothing(r.reader, frag(69, 3, 2, {104, 3, 97, 2, 119, 0}));
  expect_nothing(r.reader, frag(69, 4, 2, {104, 3, 97, 2, 119, 0}));
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], "DIST_FRAG_HEADER: sequence 4: over 2 unfinished fragmented messages");
  expect_nothing(r.reader, frag(70, 4, 1, {119, 1, 'x', 97, 4}));  // skipped
  expect_message(r.reader, frag(70, 3, 1, {119, 1, 'x', 97, 3}), Term(3));
  expect_message(r.reader, frag(70, 2, 1, {119, 1, 'x', 97, 2}), Term(2));
  EXPECT_EQ(r.reader.discarded(), 1u);
}

TEST(DistReaderLimitsTest, DiscardedSequencesStillToComeAreBounded) {
  Recorded r({.max_message_size = 8, .max_sequences = 1});
  expect_nothing(r.reader, frag(69, 1, 3, Bytes(20, 97)));
  const Error error = read_error(r.reader, frag(69, 2, 3, Bytes(20, 97)));
  EXPECT_EQ(error.code, Errc::limit_exceeded);
  EXPECT_TRUE(error.message.starts_with("over 1 discarded fragmented messages unfinished"))
      << error.message;
}

TEST(DistReaderLimitsTest, OneBudgetIsSharedByTwoReaders) {
  auto budget = std::make_shared<ReceiveBudget>(2000);
  Recorded a({}, budget);
  Recorded b({}, budget);
  // Fragments of SEND {2, '', x} with a binary payload, as sent.
  auto message = [](size_t payload, size_t fragment_size, uint64_t sequence) {
    Bytes out;
    const Term binary = Term::binary(std::string(payload, 'p'));
    EXPECT_TRUE(append_message(out, kControl, &binary, {true, fragment_size}, sequence));
    return std::make_pair(split_frames(out), binary);
  };
  const auto [a_frames, a_payload] = message(1500, 1000, 1);
  const auto [b_frames, b_payload] = message(700, 650, 1);
  ASSERT_EQ(a_frames.size(), 2u);
  ASSERT_EQ(b_frames.size(), 2u);

  expect_nothing(a.reader, a_frames[0]);  // a holds 1000 bytes (+ bookkeeping)
  EXPECT_GE(budget->in_use(), 1000u);
  expect_nothing(b.reader, b_frames[0]);  // b's 650 do not fit beside them
  ASSERT_EQ(b.reasons.size(), 1u);
  EXPECT_EQ(b.reasons[0],
            "DIST_FRAG_HEADER: sequence 1: the node's reassembly budget (2000 bytes) is used up");
  expect_nothing(b.reader, b_frames[1]);  // its last fragment is skipped
  EXPECT_EQ(b.reader.discarding_sequences(), 0u);

  expect_message(a.reader, a_frames[1], a_payload);  // a finishes and gives its share back
  EXPECT_EQ(budget->in_use(), 0u);
  const auto [again, again_payload] = message(700, 650, 2);
  expect_nothing(b.reader, again[0]);
  expect_message(b.reader, again[1], again_payload);
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_EQ(budget->discarded_messages(), 1u);
  EXPECT_EQ(a.reader.discarded(), 0u);
  EXPECT_EQ(b.reader.discarded(), 1u);
  EXPECT_TRUE(a.reasons.empty());
}

TEST(DistReaderLimitsTest, CompressedBombIsDiscardedBeforeInflating) {
  // SEND {2, '', x} whose payload is a compressed term that declares
  // 200 MiB: refused on its declared size, so nothing is inflated.
  Recorded r({.max_message_size = 64u << 20});
  Bytes frame = concat({{112, 131}, kControlBytes, {131, 80, 0x0c, 0x80, 0, 0}});
  frame.resize(frame.size() + 200'000, 0x55);  // never looked at
  expect_nothing(r.reader, frame);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0],
            "pass-through: payload: ETF COMPRESSED (80) at offset 1: declares 209715200 "
            "uncompressed bytes, over max_size (67108864)");
  expect_message(r.reader, small(3), Term(3));
}
}  // namespace
}  // namespace beamlink::dist

namespace beamlink::dist {
namespace {

using namespace beamlink::dist::testing;

Bytes unversioned(const Term& term) {
  etf::EncodeOptions options;
  options.version = false;
  auto bytes = etf::encode(term, options);
  EXPECT_TRUE(bytes);
  return bytes ? *bytes : Bytes{};
}

// A SEND to a real pid takes the typed header, whole or in fragments; its
// views still name the right bytes when the fragments' buffer is gone.
TEST(DistReaderTest, TheDataPathsControlMessagesArriveAsTypedHeaders) {
  const Term to(Pid{Atom("receiver@host"), 80, 0, 9});
  const Term control = Term::tuple({Term(SEND), Term::atom(""), to});
  const Term payload = Term::binary(std::string(1000, 'p'));
  const Bytes data = concat({unversioned(control), unversioned(payload)});

  DistReader reader;
  const Bytes frame = concat({{131, 68, 0}, data});  // the header views it
  auto whole = read_one(reader, frame);
  ASSERT_TRUE(whole && *whole);
  EXPECT_TRUE((*whole)->typed);
  EXPECT_EQ((*whole)->header.to.node, "receiver@host");
  EXPECT_EQ((*whole)->control_term(), control);
  EXPECT_EQ((*whole)->payload, payload);

  const Bytes first(data.begin(), data.begin() + 500);
  const Bytes rest(data.begin() + 500, data.end());
  DistMessage message;
  {
    const Bytes first_frame = frag(69, 5, 2, first);
    auto done = reader.read(first_frame, message);
    ASSERT_TRUE(done);
    EXPECT_FALSE(*done);
  }
  {
    const Bytes last_frame = frag(70, 5, 1, rest);
    auto done = reader.read(last_frame, message);
    ASSERT_TRUE(done && *done);
  }  // both frames are gone: the header views the reader's copy
  EXPECT_TRUE(message.typed);
  EXPECT_EQ(message.header.to.node, "receiver@host");
  EXPECT_EQ(message.control_term(), control);
  EXPECT_EQ(message.payload, payload);

  // A control message the header does not carry comes as a Term.
  auto other = read_one(reader, small(3));
  ASSERT_TRUE(other && *other);
  EXPECT_FALSE((*other)->typed);
  EXPECT_EQ((*other)->control, kControl);
}

}  // namespace
}  // namespace beamlink::dist
