// HTTP/1.1 client framing: request bytes, response heads, chunked bodies
// split anywhere, and watch-stream lines.
#include "discovery/http_wire.h"

#include <gtest/gtest.h>

namespace beamlink::discovery::http {
namespace {

TEST(HttpWire, FormatsARequest) {
  EXPECT_EQ(format_request("GET", "10.0.0.1:6443", "/api?x=1",
                           {{"Authorization", "Bearer t"}, {"Accept", "application/json"}}),
            "GET /api?x=1 HTTP/1.1\r\nHost: 10.0.0.1:6443\r\nAuthorization: Bearer t\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n");
}

TEST(HttpWire, ParsesAResponseHead) {
  std::string bytes =
      "HTTP/1.1 403 Forbidden\r\nAudit-Id: 7f\r\nContent-Type: application/json\r\n"
      "Content-Length: 12\r\n\r\n{\"kind\":...}";
  EXPECT_FALSE(parse_response_head(bytes.substr(0, 30)));  // incomplete
  auto head = parse_response_head(bytes);
  ASSERT_TRUE(head && *head);
  EXPECT_EQ((*head)->status, 403);
  EXPECT_EQ((*head)->reason, "Forbidden");
  EXPECT_EQ((*head)->content_length, 12u);
  EXPECT_FALSE((*head)->chunked);
  EXPECT_EQ((*head)->size, bytes.size() - 12);
  EXPECT_EQ((*head)->headers.size(), 3u);

  auto chunked = parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(chunked && *chunked);
  EXPECT_TRUE((*chunked)->chunked);
  auto no_reason = parse_response_head("HTTP/1.1 204\r\n\r\n");
  ASSERT_TRUE(no_reason && *no_reason);
  EXPECT_EQ((*no_reason)->status, 204);
}

TEST(HttpWire, RefusesBadHeads) {
  for (std::string bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"}) {
    auto head = parse_response_head(bad);
    ASSERT_TRUE(head) << bad;
    ASSERT_FALSE(*head) << bad;
    EXPECT_EQ(head->error().code, Errc::malformed) << bad;
  }
  auto endless = parse_response_head("HTTP/1.1 200 OK\r\n" + std::string(100, 'x'), 64);
  ASSERT_TRUE(endless);
  ASSERT_FALSE(*endless);
  EXPECT_EQ(endless->error().code, Errc::limit_exceeded);
}

TEST(HttpWire, DecodesChunkedBodiesSplitAnywhere) {
  const std::string wire =
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
  for (size_t step = 1; step <= wire.size(); ++step) {
    ChunkedDecoder decoder;
    std::string out;
    for (size_t i = 0; i < wire.size(); i += step) {
      ASSERT_TRUE(decoder.feed(std::string_view(wire).substr(i, step), out)) << step;
    }
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(out, "Wikipedia in\r\n\r\nchunks.") << step;
  }
}

TEST(HttpWire, RefusesBadChunks) {
  std::string out;
  ChunkedDecoder bad_size;
  EXPECT_FALSE(bad_size.feed("zz\r\n", out));
  ChunkedDecoder too_long;
  EXPECT_FALSE(too_long.feed("2\r\nabc\r\n", out));
  ChunkedDecoder endless_line;
  EXPECT_FALSE(endless_line.feed(std::string(5000, '1'), out));
}

TEST(HttpWire, SplitsLines) {
  LineSplitter splitter(16);
  std::vector<std::string> lines;
  auto collect = [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  };
  ASSERT_TRUE(splitter.feed("{\"a\":1}\r\n\n{\"b\"", collect));
  ASSERT_TRUE(splitter.feed(":2}\n", collect));
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  auto stop = splitter.feed("x\ny\n", [](std::string_view) { return false; });
  ASSERT_TRUE(stop);
  EXPECT_FALSE(*stop);
  LineSplitter small(4);
  EXPECT_FALSE(small.feed("12345", collect));
}

}  // namespace
}  // namespace beamlink::discovery::http
