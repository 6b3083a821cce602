// Large messages against a real erl node (OTP 25): a 256 MiB binary from
// erl is delivered to a beamlink process, and one from beamlink reaches an
// erl process, each checked by size and CRC-32 on both sides. erl delivers
// such messages between its own nodes; beamlink used to close the
// connection ("over 268435456 bytes").
//
// One test binary holds both, so that at most one such transfer runs at a
// time from this file (about 1 GiB between the two processes at the peak).
// Loopback EPMD in-process, names and cookie of its own, erl stopped by pid.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "integration/support/erl_peer.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ErlPeer;
using testing::unique_node_name;

constexpr size_t kSize = 256u << 20;

uint32_t crc32_of(std::span<const uint8_t> bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < bytes.size();) {
    const size_t n = std::min<size_t>(bytes.size() - at, 1u << 30);
    crc = crc32(crc, bytes.data() + at, static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class LargeMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::start_loopback_epmd();
    ASSERT_TRUE(server) << server.error().to_string();
    epmd_ = std::move(*server);
    const std::string cookie = "large-" + unique_node_name("c");
    auto node = testing::start_loopback_node(unique_node_name("us"), cookie, epmd_->port());
    ASSERT_TRUE(node) << node.error().to_string();
    node_ = std::move(*node);
    testing::ErlPeerOptions options;
    options.alive = unique_node_name("erl");
    options.cookie = cookie;
    options.epmd_port = epmd_->port();
    auto peer = ErlPeer::start(options, *node_);
    ASSERT_TRUE(peer) << peer.error();
    erl_.emplace(std::move(*peer));
  }

  std::unique_ptr<epmd::Server> epmd_;
  std::unique_ptr<Node> node_;
  std::optional<ErlPeer> erl_;
};

TEST_F(LargeMessageTest, A256MebibyteBinaryFromErlIsDeliveredToAProcess) {
  auto process = node_->spawn();
  ASSERT_TRUE(process);
  const auto started = Clock::now();
  auto sent = erl_->eval(*node_,
                         "B = binary:copy(<<1,2,3,4,5,6,7,8>>, 32 * 1024 * 1024),"
                         "Arg ! {big, B, erlang:crc32(B)}, ok",
                         Term(process->pid()), 120s);
  ASSERT_TRUE(sent) << sent.error().to_string();
  auto message = process->receive(120s);
  ASSERT_TRUE(message) << "nothing arrived";
  std::printf("[ measure ] 256 MiB binary erl -> beamlink process: %lld ms\n", ms_since(started));
  const Tuple* t = message->get_if<Tuple>();
  ASSERT_TRUE(t != nullptr && t->elements.size() == 3) << "not {big, B, Crc}";
  ASSERT_TRUE(t->elements[1].is<Binary>());
  const Bytes& bytes = t->elements[1].as<Binary>().bytes;
  ASSERT_EQ(bytes.size(), kSize);
  EXPECT_EQ(Term(int64_t{crc32_of({bytes.data(), bytes.size()})}), t->elements[2]);
  EXPECT_EQ(node_->stats().dropped_over_limit, 0u);
  EXPECT_EQ(node_->nodes().size(), 1u);  // the connection stayed up
}

TEST_F(LargeMessageTest, A256MebibyteBinaryFromBeamlinkReachesAnErlProcess) {
  // An erl process that answers {From, B} with {got, byte_size(B), crc32(B)}.
  auto receiver = erl_->eval(*node_,
                             "register(big_rx, spawn(fun() -> receive {From, B} -> "
                             "From ! {got, byte_size(B), erlang:crc32(B)} end end)), ok");
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  std::vector<uint8_t> bytes(kSize);
  for (size_t i = 0; i < kSize; ++i) bytes[i] = static_cast<uint8_t>(i * 31 + 7);
  const int64_t crc = crc32_of(bytes);
  auto process = node_->spawn();
  ASSERT_TRUE(process);
  const auto started = Clock::now();
  process->send("big_rx", erl_->name(),
                Term::tuple({Term(process->pid()), Term(Binary{Bytes::take(std::move(bytes))})}));
  auto reply = process->receive(120s);
  ASSERT_TRUE(reply) << "no answer from erl";
  std::printf("[ measure ] 256 MiB binary beamlink -> erl process: %lld ms\n", ms_since(started));
  EXPECT_EQ(*reply, Term::tuple({Term::atom("got"), Term(static_cast<int64_t>(kSize)), Term(crc)}));
  EXPECT_EQ(node_->nodes().size(), 1u);
}

}  // namespace
}  // namespace beamlink
