// FrameStream: frames cut from a byte stream however it is split, memory
// that grows only with bytes that arrived (a 5-byte header declaring
// 256 MiB allocates nothing), over-limit frames skipped through a small
// buffer, and a large frame the node's budget refuses abandoned.
#include "dist/frame_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dist/dist_frames.h"
#include "dist/dist_header.h"

namespace beamlink::dist {
namespace {

using namespace beamlink::dist::testing;

constexpr size_t kMinChunk = 16u << 10;
constexpr size_t kMaxChunk = 256u << 10;

// A SEND {2, '', x} frame (length included) carrying `payload`, unfragmented.
Bytes message_frame(const Term& payload) {
  Bytes out;
  EXPECT_TRUE(append_message(out, kControl, &payload, {true, size_t{1} << 31}, 1));
  return out;
}

struct Harness {
  explicit Harness(ReassemblyLimits limits = {}, std::shared_ptr<ReceiveBudget> budget = nullptr)
      : reader(limits, budget, [this](const std::string& why) { reasons.push_back(why); }),
        stream(reader, budget) {}

  // Feeds `bytes` in reads of at most `piece` bytes, collecting messages;
  // `after_read` sees the stream after each read's frames are handled.
  void feed(std::span<const uint8_t> bytes, size_t piece,
            const std::function<void(const FrameStream&, size_t fed)>& after_read = {}) {
    size_t fed = 0;
    while (fed < bytes.size()) {
      drain();
      auto room = stream.room();
      ASSERT_FALSE(room.empty());
      const size_t n = std::min({room.size(), piece, bytes.size() - fed});
      std::copy_n(bytes.begin() + static_cast<ptrdiff_t>(fed), n, room.begin());
      stream.commit(n);
      fed += n;
      drain();
      if (after_read) after_read(stream, fed);
    }
  }
  void drain() {
    DistMessage message;
    for (;;) {
      auto got = stream.next(message);
      ASSERT_TRUE(got) << got.error().to_string();
      if (!*got) return;
      payloads.push_back(message.payload.value_or(Term::atom("none")));
    }
  }

  std::vector<std::string> reasons;
  std::vector<Term> payloads;
  DistReader reader;
  FrameStream stream;
};

TEST(FrameStreamTest, FramesSplitAtEveryByteArriveWhole) {
  Bytes bytes;
  for (int i = 0; i < 20; ++i) {
    const Term payload(i);
    ASSERT_TRUE(append_message(bytes, kControl, &payload, {true, 8}, static_cast<uint64_t>(i)));
    bytes.insert(bytes.end(), {0, 0, 0, 0});  // a tick between messages
  }
  Harness h;
  h.feed(bytes, 1);
  ASSERT_EQ(h.payloads.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(h.payloads[static_cast<size_t>(i)], Term(i));
  EXPECT_EQ(h.stream.capacity(), kMinChunk);
}

TEST(FrameStreamTest, AFiveByteHeaderDeclaring256MebibytesAllocatesNothing) {
  Harness h;
  const Bytes hostile = {0x10, 0, 0, 0, 131};  // 256 MiB declared, one byte sent
  h.feed(hostile, hostile.size());
  EXPECT_EQ(h.stream.capacity(), kMinChunk);
  EXPECT_EQ(h.stream.peak_capacity(), kMinChunk);
  EXPECT_EQ(h.stream.room().size(), kMinChunk - hostile.size());
}

TEST(FrameStreamTest, ALargeFrameGrowsTheBufferOnlyWithWhatArrived) {
  auto budget = std::make_shared<ReceiveBudget>();
  Harness h({}, budget);
  const Bytes frame = message_frame(Term::binary(std::string(6u << 20, 'q')));
  size_t checks = 0;
  h.feed(frame, 64u << 10, [&](const FrameStream& stream, size_t fed) {
    if (fed == frame.size()) return;
    ++checks;
    EXPECT_LE(stream.capacity(), std::max(2 * fed, kMaxChunk)) << "after " << fed << " bytes";
    EXPECT_EQ(stream.charged(), stream.capacity() > kMaxChunk ? stream.capacity() - kMaxChunk : 0);
    EXPECT_EQ(budget->in_use(), stream.charged());
  });
  EXPECT_GT(checks, 90u);
  ASSERT_EQ(h.payloads.size(), 1u);
  EXPECT_EQ(h.payloads[0], Term::binary(std::string(6u << 20, 'q')));
  // Back to a read chunk, and the budget is whole again.
  EXPECT_LE(h.stream.capacity(), kMaxChunk);
  EXPECT_EQ(budget->in_use(), 0u);
}

TEST(FrameStreamTest, AnOverLimitFrameIsSkippedThroughTheReadBuffer) {
  Harness h({.max_message_size = 1u << 20});
  Bytes bytes = message_frame(Term::binary(std::string(40u << 20, 's')));
  const size_t big = bytes.size();
  const Bytes after = message_frame(Term(42));
  bytes.insert(bytes.end(), after.begin(), after.end());
  h.feed(bytes, 256u << 10);
  EXPECT_LE(h.stream.peak_capacity(), kMaxChunk);
  EXPECT_EQ(h.stream.skipped_bytes(), big - 4);
  ASSERT_EQ(h.reasons.size(), 1u);
  EXPECT_EQ(h.reasons[0],
            "message of " + std::to_string(big - 4) + " bytes, over max_message_size (1048576)");
  ASSERT_EQ(h.payloads.size(), 1u);
  EXPECT_EQ(h.payloads[0], Term(42));
}

TEST(FrameStreamTest, AFrameTheBudgetRefusesIsAbandonedAndTheStreamGoesOn) {
  auto budget = std::make_shared<ReceiveBudget>(1u << 20);
  Harness h({}, budget);
  Bytes bytes = message_frame(Term::binary(std::string(4u << 20, 'r')));
  const size_t big = bytes.size() - 4;
  const Bytes after = message_frame(Term(7));
  bytes.insert(bytes.end(), after.begin(), after.end());
  h.feed(bytes, 64u << 10,
         [&](const FrameStream& stream, size_t) { EXPECT_LE(stream.charged(), size_t{1} << 20); });
  ASSERT_EQ(h.reasons.size(), 1u);
  EXPECT_TRUE(h.reasons[0].starts_with("message of " + std::to_string(big) +
                                       " bytes: the node's receive budget (1048576 bytes) is "
                                       "used up after "))
      << h.reasons[0];
  ASSERT_EQ(h.payloads.size(), 1u);
  EXPECT_EQ(h.payloads[0], Term(7));
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_EQ(budget->discarded_messages(), 1u);
  EXPECT_EQ(budget->discarded_bytes(), big);
}

TEST(FrameStreamTest, MalformedBytesEndTheStreamBeforeTheFrameIsBuffered) {
  DistReader reader;
  FrameStream stream(reader, nullptr, Bytes{0x10, 0, 0, 0, 9});  // of 256 MiB declared
  DistMessage message;
  auto got = stream.next(message);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message, "dist frame: byte 0 is 9, expected 112 or 131");
}

}  // namespace
}  // namespace beamlink::dist
