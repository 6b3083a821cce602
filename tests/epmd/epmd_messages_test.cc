#include "epmd/epmd_messages.h"

#include <gtest/gtest.h>

namespace beamlink::epmd {
namespace {

NodeInfo sample_node() {
  NodeInfo node;
  node.name = "ab";
  node.port = 0x1234;
  node.node_type = kNodeTypeNormal;
  node.protocol = kProtocolTcp;
  node.highest_version = 6;
  node.lowest_version = 5;
  node.extra = "x";
  return node;
}

TEST(EpmdMessages, Alive2RequestLayout) {
  auto bytes = encode_alive2_request(sample_node());
  ASSERT_TRUE(bytes);
  const Bytes expected{0, 16, 120, 0x12, 0x34, 77, 0, 0, 6, 0, 5, 0, 2, 'a', 'b', 0, 1, 'x'};
  EXPECT_EQ(*bytes, expected);
}

TEST(EpmdMessages, Alive2RequestRoundTrip) {
  auto bytes = encode_alive2_request(sample_node());
  ASSERT_TRUE(bytes);
  auto parsed = parse_alive2_request(ByteSpan(*bytes).subspan(2));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(*parsed, sample_node());
}

TEST(EpmdMessages, Alive2RequestTruncatedNameSaysFieldAndOffset) {
  const Bytes packet{120, 0x12, 0x34, 77, 0, 0, 6, 0, 5, 0, 9, 'a', 'b'};
  auto parsed = parse_alive2_request(packet);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::malformed);
  EXPECT_EQ(parsed.error().message,
            "ALIVE2_REQ at offset 11: truncated NodeName (need 9 bytes, have 2)");
}

TEST(EpmdMessages, Alive2RequestMissingElen) {
  const Bytes packet{120, 0x12, 0x34, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0};
  auto parsed = parse_alive2_request(packet);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message,
            "ALIVE2_REQ at offset 12: truncated Elen (need 2 bytes, have 1)");
}

TEST(EpmdMessages, Alive2RequestEmptyNameAndTrailingBytes) {
  const Bytes empty_name{120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 0, 0, 0};
  EXPECT_EQ(parse_alive2_request(empty_name).error().message,
            "ALIVE2_REQ at offset 11: empty NodeName");
  const Bytes trailing{120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 0, 0xff};
  EXPECT_EQ(parse_alive2_request(trailing).error().message,
            "ALIVE2_REQ at offset 14: 1 trailing bytes");
}

TEST(EpmdMessages, Alive2RequestWrongCode) {
  const Bytes packet{122, 'a'};
  auto parsed = parse_alive2_request(packet);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "expected code 120, got 122");
}

TEST(EpmdMessages, EncodeRejectsEmptyOrHugeName) {
  NodeInfo node = sample_node();
  node.name.clear();
  EXPECT_EQ(encode_alive2_request(node).error().code, Errc::invalid_argument);
  node.name.assign(70000, 'n');
  EXPECT_EQ(encode_alive2_request(node).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode_port_please2_request("").error().code, Errc::invalid_argument);
}

TEST(EpmdMessages, PortPlease2RequestLayout) {
  auto bytes = encode_port_please2_request("foo");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (Bytes{0, 4, 122, 'f', 'o', 'o'}));
  auto name = parse_name_request(ByteSpan(*bytes).subspan(2), PORT_PLEASE2_REQ);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "foo");
  EXPECT_EQ(parse_name_request(Bytes{122}, PORT_PLEASE2_REQ).error().message,
            "PORT_PLEASE2_REQ at offset 1: empty NodeName");
}

TEST(EpmdMessages, BareAndStopRequests) {
  EXPECT_EQ(encode_bare_request(NAMES_REQ), (Bytes{0, 1, 110}));
  EXPECT_EQ(encode_bare_request(KILL_REQ), (Bytes{0, 1, 107}));
  EXPECT_EQ(encode_bare_request(DUMP_REQ), (Bytes{0, 1, 100}));
  EXPECT_EQ(*encode_stop_request("n"), (Bytes{0, 2, 115, 'n'}));
}

TEST(EpmdMessages, Alive2Responses) {
  EXPECT_EQ(encode_alive2_x_response(0, 0x01020304), (Bytes{118, 0, 1, 2, 3, 4}));
  EXPECT_EQ(encode_alive2_response(1, 3), (Bytes{121, 1, 0, 3}));

  auto x = parse_alive2_response(Bytes{118, 0, 1, 2, 3, 4});
  ASSERT_TRUE(x && *x);
  EXPECT_EQ(**x, (Alive2Response{0, 0x01020304, true}));
  auto old = parse_alive2_response(Bytes{121, 0, 0, 2});
  ASSERT_TRUE(old && *old);
  EXPECT_EQ(**old, (Alive2Response{0, 2, false}));
}

TEST(EpmdMessages, Alive2ResponseIncompleteAndBad) {
  auto partial = parse_alive2_response(Bytes{118, 0, 1});
  ASSERT_TRUE(partial);
  EXPECT_FALSE(*partial);
  auto bad = parse_alive2_response(Bytes{42});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "ALIVE2 response at offset 0: unexpected response code 42");
  EXPECT_FALSE(parse_alive2_response(Bytes{121, 0, 0, 2, 9}));
}

TEST(EpmdMessages, Port2ResponseLayoutAndRoundTrip) {
  auto bytes = encode_port2_response(sample_node());
  ASSERT_TRUE(bytes);
  const Bytes expected{119, 0, 0x12, 0x34, 77, 0, 0, 6, 0, 5, 0, 2, 'a', 'b', 0, 1, 'x'};
  EXPECT_EQ(*bytes, expected);
  auto parsed = parse_port2_response(*bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample_node());
}

TEST(EpmdMessages, Port2ErrorIsNotFound) {
  EXPECT_EQ(encode_port2_error(1), (Bytes{119, 1}));
  auto parsed = parse_port2_response(Bytes{119, 1});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::not_found);
  EXPECT_EQ(parse_port2_response(Bytes{119}).error().code, Errc::malformed);
  EXPECT_EQ(parse_port2_response(Bytes{119, 0, 0x12}).error().message,
            "PORT2_RESP at offset 2: truncated PortNo (need 2 bytes, have 1)");
}

TEST(EpmdMessages, NamesResponseLayoutAndParse) {
  auto bytes = encode_names_response(4369, {{"a", 1}, {"bee", 65535}});
  std::string text = "name a at port 1\nname bee at port 65535\n";
  Bytes expected{0, 0, 0x11, 0x11};
  expected.insert(expected.end(), text.begin(), text.end());
  EXPECT_EQ(bytes, expected);

  auto reply = parse_names_response(bytes);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->epmd_port, 4369u);
  EXPECT_EQ(reply->text, text);
  EXPECT_EQ(reply->entries, (std::vector<NameEntry>{{"a", 1}, {"bee", 65535}}));
  EXPECT_EQ(reply->to_epmd_text(), "epmd: up and running on port 4369 with data:\n" + text);
}

TEST(EpmdMessages, NamesResponseMalformed) {
  EXPECT_EQ(parse_names_response(Bytes{0, 0}).error().message,
            "NAMES_RESP at offset 0: truncated EPMDPortNo (need 4 bytes, have 2)");
  auto with_text = [](std::string_view text) {
    Bytes bytes{0, 0, 0x11, 0x11};
    bytes.insert(bytes.end(), text.begin(), text.end());
    return parse_names_response(bytes);
  };
  EXPECT_EQ(with_text("name a at port 1").error().message,
            "NAMES_RESP at offset 4: line without newline");
  EXPECT_EQ(with_text("name a at port 1\nhello\n").error().message,
            "NAMES_RESP at offset 21: expected \"name <name> at port <port>\"");
  EXPECT_EQ(with_text("name a at port 70000\n").error().message,
            "NAMES_RESP at offset 4: bad port number");
  EXPECT_TRUE(with_text(""));
}

}  // namespace
}  // namespace beamlink::epmd
