// Compressed terms (131, 80) from an untrusted peer: a zlib bomb is refused
// on its declared size before anything is inflated, a stream that inflates
// past its declared size is stopped there, and a truthful large one still
// decodes (the output grows as the stream inflates).
#include <gtest/gtest.h>
#include <zlib.h>

#include "etf/compression.h"
#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

// 131, 80, Declared, zlib(BINARY_EXT of `size` zero bytes), deflated from
// a small buffer so that the test never holds the inflated term.
Packet zero_binary_bomb(uint32_t size, uint32_t declared) {
  Packet raw = {109, static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
  Packet out = {131,
                80,
                static_cast<uint8_t>(declared >> 24),
                static_cast<uint8_t>(declared >> 16),
                static_cast<uint8_t>(declared >> 8),
                static_cast<uint8_t>(declared)};
  z_stream z{};
  EXPECT_EQ(deflateInit(&z, 9), Z_OK);
  const Packet zeros(1u << 20, 0);
  std::vector<uint8_t> chunk(1u << 16);
  auto pump = [&](const uint8_t* data, size_t count, int flush) {
    z.next_in = const_cast<Bytef*>(data);
    z.avail_in = static_cast<uInt>(count);
    do {
      z.next_out = chunk.data();
      z.avail_out = static_cast<uInt>(chunk.size());
      deflate(&z, flush);
      out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
    } while (z.avail_out == 0);
  };
  pump(raw.data(), raw.size(), Z_NO_FLUSH);
  for (uint32_t left = size; left > 0;) {
    const uint32_t n = std::min<uint32_t>(left, static_cast<uint32_t>(zeros.size()));
    left -= n;
    pump(zeros.data(), n, left == 0 ? Z_FINISH : Z_NO_FLUSH);
  }
  deflateEnd(&z);
  return out;
}

// The 200 MiB bomb, deflated once (about a second) for the tests that use
// it, with `declared` patched in.
Packet two_hundred_mebibytes(uint32_t declared) {
  static const Packet bomb = zero_binary_bomb(200u << 20, 0);
  Packet out = bomb;
  for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<uint8_t>(declared >> (24 - 8 * i));
  return out;
}

TEST(CompressedBomb, TwoHundredMebibytesFromTwoHundredKilobytesIsRefusedOnItsDeclaredSize) {
  constexpr uint32_t kInflated = 200u << 20;
  const Packet bomb = two_hundred_mebibytes(kInflated + 5);
  EXPECT_LT(bomb.size(), 250'000u);  // about 1000:1, zlib's best
  DecodeOptions options;
  options.limits.max_size = 64u << 20;
  auto term = decode(bomb, options);
  ASSERT_FALSE(term);
  EXPECT_EQ(term.error().code, Errc::limit_exceeded);
  EXPECT_EQ(term.error().message,
            "ETF COMPRESSED (80) at offset 1: declares 209715205 uncompressed bytes, over "
            "max_size (67108864)");
}

TEST(CompressedBomb, AStreamThatUnderstatesItsSizeStopsAtTheDeclaredSize) {
  // Declares 1 MiB but would inflate to 200 MiB: inflating stops one byte
  // past the declared size.
  const Packet bomb = two_hundred_mebibytes(1u << 20);
  auto term = decode(bomb);
  ASSERT_FALSE(term);
  EXPECT_EQ(term.error().code, Errc::malformed);
  EXPECT_EQ(term.error().message,
            "ETF COMPRESSED (80) at offset 1: inflates to more than the declared 1048576 bytes");
}

TEST(CompressedBomb, ATruthfulLargeTermInflatesThroughGrowingOutput) {
  constexpr uint32_t kSize = 24u << 20;  // many doublings from the first 64 KiB
  const Packet packet = zero_binary_bomb(kSize, kSize + 5);
  auto term = decode(packet);
  ASSERT_TRUE(term) << term.error().to_string();
  ASSERT_TRUE(term->is<Binary>());
  EXPECT_EQ(term->as<Binary>().bytes.size(), kSize);

  // The same through inflate_exact with a declared size one short and one
  // long of the truth.
  const std::span<const uint8_t> stream(packet.begin() + 6, packet.end());
  EXPECT_TRUE(inflate_exact(stream, kSize + 5));
  EXPECT_EQ(inflate_exact(stream, kSize + 4).error().message,
            "inflates to more than the declared 25165828 bytes");
  EXPECT_EQ(inflate_exact(stream, kSize + 6).error().message,
            "inflates to 25165829 bytes but declares 25165830");
}

}  // namespace
}  // namespace beamlink::etf::testing
