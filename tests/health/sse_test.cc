#include "health/sse.h"

#include <gtest/gtest.h>

namespace beamlink::health {
namespace {

TEST(Sse, EventIsNameDataLinesAndABlankLine) {
  EXPECT_EQ(sse_event("nodeup", "{\"node\":\"a@h\"}"),
            "event: nodeup\ndata: {\"node\":\"a@h\"}\n\n");
}

TEST(Sse, DataSplitsOnEveryLineBreakABrowserKnows) {
  EXPECT_EQ(sse_event("x", "a\nb\r\nc\rd"), "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sse_event("x", ""), "event: x\ndata: \n\n");
  EXPECT_EQ(sse_event("x", "a\n"), "event: x\ndata: a\ndata: \n\n");
}

TEST(Sse, ALineBreakInANameOrCommentCannotStartAnotherField) {
  EXPECT_EQ(sse_event("up\ndata: forged", "d"), "event: up data: forged\ndata: d\n\n");
  EXPECT_EQ(sse_comment("a\r\nb"), ": a  b\n\n");
}

TEST(Sse, StreamHeadIsAnEventStreamThatIsNotCached) {
  const std::string head = sse_response_head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace beamlink::health
