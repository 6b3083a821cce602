#include "health/http_request.h"

#include <gtest/gtest.h>

namespace beamlink::health {
namespace {

TEST(HttpRequest, ParsesAProbeRequest) {
  auto head = parse_request_head(
      "GET /readyz?verbose=1 HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nUser-Agent: kube-probe/1.29\r\n"
      "Accept: */*\r\n\r\n");
  ASSERT_TRUE(head.has_value());
  ASSERT_TRUE(*head) << (*head).error().message;
  EXPECT_EQ((*head)->method, "GET");
  EXPECT_EQ((*head)->path, "/readyz");
  EXPECT_EQ((*head)->version, "HTTP/1.1");
}

TEST(HttpRequest, IncompleteHeadAsksForMore) {
  EXPECT_FALSE(parse_request_head("GET /healthz HTTP/1.1\r\nHost: x\r\n").has_value());
  EXPECT_FALSE(parse_request_head("").has_value());
}

TEST(HttpRequest, BoundsTheHead) {
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(9000, 'a');
  auto head = parse_request_head(big);
  ASSERT_TRUE(head.has_value());
  ASSERT_FALSE(*head);
  EXPECT_EQ((*head).error().code, Errc::limit_exceeded);
  auto complete_but_big = parse_request_head(big + "\r\n\r\n");
  ASSERT_TRUE(complete_but_big.has_value());
  EXPECT_FALSE(*complete_but_big);
}

TEST(HttpRequest, RejectsMalformedHeads) {
  for (const char* bad : {"GET\r\n\r\n", "GET /x\r\n\r\n", "GET /x HTTP/2\r\n\r\n",
                          "GET x HTTP/1.1\r\n\r\n", "G(T /x HTTP/1.1\r\n\r\n",
                          "GET /x HTTP/1.1 extra\r\n\r\n", "GET /x HTTP/1.1\r\nnocolon\r\n\r\n",
                          "GET /x HTTP/1.1\r\n: empty\r\n\r\n", "GET /a\x01 HTTP/1.1\r\n\r\n"}) {
    auto head = parse_request_head(bad);
    ASSERT_TRUE(head.has_value()) << bad;
    ASSERT_FALSE(*head) << bad;
    EXPECT_EQ((*head).error().code, Errc::malformed) << bad;
  }
}

TEST(HttpRequest, ResponsesAreComplete) {
  EXPECT_EQ(make_response(200, "text/plain", "ok\n", false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\nok\n");
  std::string head = make_response(503, "application/json", "{}", true);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  EXPECT_NE(head.find("Content-Length: 2"), std::string::npos);
}

}  // namespace
}  // namespace beamlink::health
