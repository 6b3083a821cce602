#include "epmd/request_framer.h"

#include <gtest/gtest.h>

namespace beamlink::epmd {
namespace {

std::vector<Bytes> drain(RequestFramer& framer) {
  std::vector<Bytes> out;
  for (;;) {
    auto next = framer.next();
    EXPECT_TRUE(next) << next.error().to_string();
    if (!next || !*next) return out;
    out.push_back(std::move(**next));
  }
}

TEST(RequestFramer, OneByteAtATime) {
  RequestFramer framer(100);
  const Bytes stream{0, 4, 122, 'f', 'o', 'o'};
  for (size_t i = 0; i + 1 < stream.size(); ++i) {
    framer.append(ByteSpan(&stream[i], 1));
    EXPECT_TRUE(drain(framer).empty()) << "after byte " << i;
  }
  framer.append(ByteSpan(&stream.back(), 1));
  EXPECT_EQ(drain(framer), (std::vector<Bytes>{{122, 'f', 'o', 'o'}}));
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(RequestFramer, SeveralRequestsSplitAtEveryPoint) {
  const Bytes stream{0, 1, 110, 0, 3, 122, 'a', 'b', 0, 1, 107};
  const std::vector<Bytes> expected{{110}, {122, 'a', 'b'}, {107}};
  for (size_t first = 0; first <= stream.size(); ++first) {
    for (size_t second = first; second <= stream.size(); ++second) {
      RequestFramer framer(100);
      std::vector<Bytes> got;
      for (auto [from, to] :
           {std::pair{size_t{0}, first}, {first, second}, {second, stream.size()}}) {
        framer.append(ByteSpan(stream).subspan(from, to - from));
        for (auto& request : drain(framer)) got.push_back(std::move(request));
      }
      EXPECT_EQ(got, expected) << "split at " << first << "," << second;
    }
  }
}

TEST(RequestFramer, OversizeRefusedFromThePrefixAlone) {
  RequestFramer framer(10);
  framer.append(Bytes{0x01, 0x00});
  auto next = framer.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, Errc::limit_exceeded);
  EXPECT_EQ(next.error().message, "EPMD request of 256 bytes, limit 10");
  framer.append(Bytes{0, 1, 110});  // stays failed
  EXPECT_FALSE(framer.next());
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(RequestFramer, ZeroLengthIsMalformed) {
  RequestFramer framer(10);
  framer.append(Bytes{0, 0});
  auto next = framer.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, Errc::malformed);
}

TEST(RequestFramer, ExactlyAtTheLimit) {
  RequestFramer framer(3);
  framer.append(Bytes{0, 3, 1, 2, 3});
  EXPECT_EQ(drain(framer), (std::vector<Bytes>{{1, 2, 3}}));
}

}  // namespace
}  // namespace beamlink::epmd
