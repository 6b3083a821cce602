// Receive-side bounds on live connections, driven by raw peers: hostile
// length prefixes cost no memory, over-limit messages (whole and
// fragmented) are discarded while the connection stays up and later
// messages arrive in order, and two connections share one reassembly
// budget. Prints the node's resident memory (VmRSS) around each.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "dist/connection.h"
#include "dist/dist_frames.h"
#include "dist/dist_header.h"
#include "dist/distribution.h"
#include "dist/raw_peer.h"
#include "dist/test_sink.h"

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using namespace beamlink::dist::testing;

// This process's resident set, from /proc/self/status.
size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  return 0;
}

bool within(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// SEND {2, '', x} with `payload`, framed: in `fragment_size` fragments
// (sequence `id`), or whole when the terms fit in one.
Bytes message(const Term& payload, size_t fragment_size = size_t{1} << 31, uint64_t id = 1) {
  Bytes out;
  EXPECT_TRUE(append_message(out, kControl, &payload, {true, fragment_size}, id));
  return out;
}

class ReceiveLimitsTest : public ::testing::Test {
 protected:
  // A node "a" without EPMD, listening on an ephemeral loopback port.
  void start(size_t max_message_size, size_t budget) {
    DistOptions o;
    o.node_name = "a@127.0.0.1";
    o.cookie = "cookie";
    o.listen_address = "127.0.0.1";
    o.use_epmd = false;
    o.max_message_size = max_message_size;
    o.reassembly_budget = budget;
    o.logger = [this](LogLevel, std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    auto started = Distribution::start(o, sink_);
    ASSERT_TRUE(started) << started.error().to_string();
    node_ = std::move(*started);
  }

  // A raw peer `name`@127.0.0.1, handshaken and up.
  std::unique_ptr<RawPeer> raw(const std::string& name) {
    auto peer = std::make_unique<RawPeer>(node_->listen_port());
    EXPECT_EQ(peer->handshake(name + "@127.0.0.1", "cookie", "a@127.0.0.1"), "");
    EXPECT_TRUE(within(5s, [&] { return node_->connection(name + "@127.0.0.1") != nullptr; }));
    return peer;
  }

  const ConnectionStats& stats(const std::string& name) {
    return dynamic_cast<const ConnectionImpl&>(*node_->connection(name + "@127.0.0.1")).stats();
  }

  std::vector<Term> payloads() {
    std::vector<Term> out;
    for (const auto& m : sink_.messages()) out.push_back(m.payload.value_or(Term()));
    return out;
  }

  size_t log_count(const std::string& text) {
    std::lock_guard lock(log_mutex_);
    size_t count = 0;
    for (size_t at = log_.find(text); at != std::string::npos; at = log_.find(text, at + 1)) {
      ++count;
    }
    return count;
  }

  // Declared before node_, whose shutdown still logs and delivers.
  TestSink sink_;
  std::mutex log_mutex_;
  std::string log_;
  std::unique_ptr<Distribution> node_;
};

TEST_F(ReceiveLimitsTest, FiveByteHeadersDeclaring256MebibytesCostNoMemory) {
  start(size_t{1} << 30, size_t{1} << 30);
  const size_t before = resident_kib();
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < 16; ++i) {
    const std::string name = "hostile" + std::to_string(i);
    peers.push_back(raw(name));
    peers.back()->write({0x10, 0, 0, 0, 112});  // 256 MiB declared, 1 byte sent
    ASSERT_TRUE(within(5s, [&] { return stats(name).bytes_received.load() == 5; }));
    EXPECT_LE(stats(name).read_buffer_peak.load(), 64u << 10);
  }
  const size_t after = resident_kib();
  std::printf(
      "[ measure ] VmRSS with 16 peers each declaring a 256 MiB frame: %zu KiB -> %zu KiB\n",
      before, after);
  EXPECT_LT(after, before + (64u << 10));  // declared: 4 GiB
  EXPECT_EQ(sink_.downs(), 0u);
  EXPECT_EQ(node_->stats().reassembly_bytes, 0u);
}

TEST_F(ReceiveLimitsTest, OverLimitMessagesAreDiscardedAndTheConnectionStaysUp) {
  start(size_t{1} << 20, size_t{1} << 30);
  auto peer = raw("big");
  // Message 3 goes between the fragments of the 3 MiB message.
  const auto fragments =
      split_frames(message(Term::binary(std::string(3u << 20, 'f')), 64u << 10, 7));
  Bytes first_half;
  Bytes second_half;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const Bytes frame = framed(fragments[i]);
    Bytes& half = i < fragments.size() / 2 ? first_half : second_half;
    half.insert(half.end(), frame.begin(), frame.end());
  }
  const Bytes all =
      concat({message(Term(1)), message(Term::binary(std::string(2u << 20, 'w'))), message(Term(2)),
              first_half, message(Term(3)), second_half, message(Term(4))});
  const size_t before = resident_kib();
  peer->write(all);
  ASSERT_TRUE(sink_.wait([&] { return sink_.messages_locked().size() >= 4; }));
  EXPECT_EQ(payloads(), (std::vector<Term>{Term(1), Term(2), Term(3), Term(4)}));
  EXPECT_EQ(stats("big").messages_discarded.load(), 2u);
  EXPECT_EQ(node_->stats().messages_discarded, 2u);
  EXPECT_EQ(log_count("discarded a message from big@127.0.0.1"), 2u);  // once per message
  EXPECT_LE(stats("big").read_buffer_peak.load(), 256u << 10);
  EXPECT_EQ(sink_.downs(), 0u);
  std::printf(
      "[ measure ] VmRSS around a 2 MiB and a 3 MiB message over a 1 MiB limit: %zu KiB "
      "-> %zu KiB\n",
      before, resident_kib());
}

TEST_F(ReceiveLimitsTest, TwoConnectionsShareOneReassemblyBudget) {
  start(size_t{1} << 30, size_t{1} << 20);
  auto a = raw("a_peer");
  auto b = raw("b_peer");
  const Term a_payload = Term::binary(std::string(800u << 10, 'a'));
  const Term b_payload = Term::binary(std::string(512u << 10, 'b'));
  const auto a_frames = split_frames(message(a_payload, 64u << 10, 1));
  // a holds all but its last fragment: about 768 KiB of the 1 MiB.
  Bytes a_head;
  for (size_t i = 0; i + 1 < a_frames.size(); ++i) {
    const Bytes frame = framed(a_frames[i]);
    a_head.insert(a_head.end(), frame.begin(), frame.end());
  }
  a->write(a_head);
  ASSERT_TRUE(within(10s, [&] { return node_->stats().reassembly_bytes >= (768u << 10); }));
  // b's 512 KiB do not fit beside it: discarded, the connection stays up.
  b->write(message(b_payload, 64u << 10, 1));
  ASSERT_TRUE(within(10s, [&] { return stats("b_peer").messages_discarded.load() == 1; }));
  b->write(message(Term(9)));
  ASSERT_TRUE(sink_.wait_payload(Term(9)));
  // a finishes and gives its share back; then b's message fits.
  a->write(framed(a_frames.back()));
  ASSERT_TRUE(sink_.wait_payload(a_payload));
  ASSERT_TRUE(within(10s, [&] { return node_->stats().reassembly_bytes == 0; }));
  b->write(message(b_payload, 64u << 10, 2));
  ASSERT_TRUE(sink_.wait_payload(b_payload));
  EXPECT_EQ(stats("a_peer").messages_discarded.load(), 0u);
  EXPECT_EQ(stats("b_peer").messages_discarded.load(), 1u);
  EXPECT_EQ(node_->stats().messages_discarded, 1u);
  EXPECT_EQ(log_count("discarded a message from b_peer@127.0.0.1: DIST_FRAG_CONT: sequence 1: "
                      "the node's reassembly budget (1048576 bytes) is used up"),
            1u);
  EXPECT_EQ(sink_.downs(), 0u);
}

TEST_F(ReceiveLimitsTest, ACompressedBombIsRefusedAndTheConnectionStaysUp) {
  start(size_t{64} << 20, size_t{1} << 30);
  auto peer = raw("bomb");
  // A pass-through SEND whose payload declares 200 MiB compressed into
  // 200 KB; only the declared size is read.
  Bytes body = concat({{112, 131}, kControlBytes, {131, 80, 0x0c, 0x80, 0, 0}});
  body.resize(body.size() + 200'000, 0x55);
  const size_t before = resident_kib();
  peer->write(concat({framed(body), message(Term(1))}));
  ASSERT_TRUE(sink_.wait_payload(Term(1)));
  EXPECT_EQ(stats("bomb").messages_discarded.load(), 1u);
  EXPECT_EQ(log_count("discarded a message from bomb@127.0.0.1: pass-through: payload: ETF "
                      "COMPRESSED (80) at offset 1: declares 209715200 uncompressed bytes, over "
                      "max_size (67108864)"),
            1u);
  EXPECT_EQ(sink_.downs(), 0u);
  std::printf("[ measure ] VmRSS around a compressed term declaring 200 MiB: %zu KiB -> %zu KiB\n",
              before, resident_kib());
}

}  // namespace
}  // namespace beamlink::dist
