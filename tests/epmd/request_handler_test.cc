#include "epmd/request_handler.h"

#include <gtest/gtest.h>

#include "epmd/epmd_messages.h"
#include "epmd/local_peer.h"

namespace beamlink::epmd {
namespace {

const PeerInfo kLocal{"127.0.0.1:5000", true};
const PeerInfo kRemote{"10.1.2.3:5000", false};

Bytes body(const Result<Bytes>& framed) {
  return Bytes(framed->begin() + 2, framed->end());
}

Bytes alive2(std::string name, uint16_t highest = 6) {
  NodeInfo node;
  node.name = std::move(name);
  node.port = 4000;
  node.highest_version = highest;
  return body(encode_alive2_request(node));
}

std::string text_of(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

class RequestHandlerTest : public ::testing::Test {
 protected:
  Outcome handle(const Bytes& request, const PeerInfo& peer = kLocal, ConnectionId self = 1) {
    return handle_request(request, peer, self, registry_, config_);
  }
  NodeRegistry registry_{0x01020304};
  HandlerConfig config_{ServerLimits{}, false, 4369};
};

TEST_F(RequestHandlerTest, RegisterAnswersXRespAndHolds) {
  Outcome out = handle(alive2("a"));
  EXPECT_EQ(out.reply, (Bytes{118, 0, 1, 2, 3, 4}));
  EXPECT_EQ(out.after, AfterReply::hold_registration);
  EXPECT_EQ(out.log, "registered 'a' at port 4000 from 127.0.0.1:5000, creation 16909060");
}

TEST_F(RequestHandlerTest, OldNodeGetsAlive2RespWithSmallCreation) {
  Outcome out = handle(alive2("a", 5));
  EXPECT_EQ(out.reply, (Bytes{121, 0, 0, 0x01020304 % 3 + 1}));
}

TEST_F(RequestHandlerTest, DuplicateRefused) {
  handle(alive2("a"), kLocal, 1);
  Outcome out = handle(alive2("a"), kLocal, 2);
  EXPECT_EQ(out.reply, (Bytes{118, 1, 0, 0, 0, 0}));
  EXPECT_EQ(out.after, AfterReply::close);
  EXPECT_EQ(out.level, LogLevel::warning);
}

TEST_F(RequestHandlerTest, RemoteRegistrationRefusedAndLogged) {
  Outcome out = handle(alive2("a"), kRemote);
  EXPECT_EQ(out.reply, (Bytes{118, 1, 0, 0, 0, 0}));
  EXPECT_EQ(out.log, "refused ALIVE2_REQ from 10.1.2.3:5000: not a local peer");
  EXPECT_TRUE(registry_.empty());
}

TEST_F(RequestHandlerTest, NameOverLimitRefused) {
  config_.limits.max_name_length = 3;
  EXPECT_EQ(handle(alive2("abcd")).reply[1], 1);
  EXPECT_EQ(handle(alive2("abc")).reply[1], 0);
}

TEST_F(RequestHandlerTest, MalformedAlive2ClosesWithoutReply) {
  Outcome out = handle(Bytes{120, 0, 1});
  EXPECT_TRUE(out.reply.empty());
  EXPECT_EQ(out.after, AfterReply::close);
  EXPECT_NE(out.log.find("truncated NodeType"), std::string::npos) << out.log;
}

TEST_F(RequestHandlerTest, PortPleaseFoundAndMissing) {
  handle(alive2("a"));
  Outcome found = handle(body(encode_port_please2_request("a")), kRemote);
  auto node = parse_port2_response(found.reply);
  ASSERT_TRUE(node);
  EXPECT_EQ(node->port, 4000);
  EXPECT_EQ(handle(body(encode_port_please2_request("b"))).reply, (Bytes{119, 1}));
}

TEST_F(RequestHandlerTest, NamesFromAnyone) {
  handle(alive2("b"), kLocal, 1);
  handle(alive2("a"), kLocal, 2);
  Outcome out = handle(Bytes{110}, kRemote);
  auto reply = parse_names_response(out.reply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->epmd_port, 4369u);
  EXPECT_EQ(reply->text, "name a at port 4000\nname b at port 4000\n");
}

TEST_F(RequestHandlerTest, DumpIsLocalOnly) {
  handle(alive2("a"), kLocal, 5);
  Outcome out = handle(Bytes{100});
  std::string expected =
      std::string("\0\0\x11\x11", 4) + "active name     <a> at port 4000, fd = 5 \n";
  expected.push_back('\0');
  EXPECT_EQ(text_of(out.reply), expected);
  EXPECT_TRUE(handle(Bytes{100}, kRemote).reply.empty());
}

TEST_F(RequestHandlerTest, KillRules) {
  EXPECT_TRUE(handle(Bytes{107}, kRemote).reply.empty());
  handle(alive2("a"));
  Outcome refused = handle(Bytes{107});
  EXPECT_EQ(text_of(refused.reply), "NO");
  EXPECT_EQ(refused.after, AfterReply::close);
  config_.relaxed_command_check = true;
  Outcome relaxed = handle(Bytes{107});
  EXPECT_EQ(text_of(relaxed.reply), "OK");
  EXPECT_EQ(relaxed.after, AfterReply::stop_server);
}

TEST_F(RequestHandlerTest, KillWithNoNodes) {
  Outcome out = handle(Bytes{107});
  EXPECT_EQ(text_of(out.reply), "OK");
  EXPECT_EQ(out.after, AfterReply::stop_server);
}

TEST_F(RequestHandlerTest, StopNeedsRelaxedCheck) {
  handle(alive2("a"), kLocal, 9);
  Outcome strict = handle(body(encode_stop_request("a")));
  EXPECT_TRUE(strict.reply.empty());
  EXPECT_FALSE(registry_.empty());
  config_.relaxed_command_check = true;
  EXPECT_TRUE(handle(body(encode_stop_request("a")), kRemote).reply.empty());
  Outcome stopped = handle(body(encode_stop_request("a")));
  EXPECT_EQ(text_of(stopped.reply), "STOPPED");
  EXPECT_EQ(stopped.close_connection, 9u);
  EXPECT_EQ(text_of(handle(body(encode_stop_request("a"))).reply), "NOEXIST");
}

TEST_F(RequestHandlerTest, UnknownCodeClosesWithLog) {
  Outcome out = handle(Bytes{42, 1, 2});
  EXPECT_TRUE(out.reply.empty());
  EXPECT_EQ(out.log, "unknown request code 42 from 127.0.0.1:5000");
}

TEST(LocalPeer, Decision) {
  using asio::ip::make_address;
  const auto any = make_address("0.0.0.0");
  EXPECT_TRUE(is_local_peer(make_address("127.0.0.1"), make_address("127.0.0.1")));
  EXPECT_TRUE(is_local_peer(make_address("127.8.9.10"), make_address("127.0.0.1")));
  EXPECT_TRUE(is_local_peer(make_address("::1"), make_address("::1")));
  EXPECT_TRUE(is_local_peer(make_address("::ffff:127.0.0.1"), any));
  EXPECT_TRUE(is_local_peer(make_address("192.168.1.5"), make_address("192.168.1.5")));
  EXPECT_TRUE(is_local_peer(make_address("::ffff:192.168.1.5"), make_address("192.168.1.5")));
  EXPECT_FALSE(is_local_peer(make_address("192.168.1.6"), make_address("192.168.1.5")));
  EXPECT_FALSE(is_local_peer(make_address("10.0.0.1"), make_address("127.0.0.1")));
  EXPECT_FALSE(is_local_peer(make_address("0.0.0.0"), make_address("0.0.0.0")));
  EXPECT_FALSE(is_local_peer(make_address("fe80::1"), make_address("::1")));
}

TEST(LocalPeer, Describe) {
  using asio::ip::tcp;
  EXPECT_EQ(describe_endpoint(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 80)),
            "127.0.0.1:80");
  EXPECT_EQ(describe_endpoint(tcp::endpoint(asio::ip::make_address("::1"), 80)), "[::1]:80");
}

}  // namespace
}  // namespace beamlink::epmd
