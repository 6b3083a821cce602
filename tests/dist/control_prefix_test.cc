// Control messages encoded from pids (src/dist/control_prefix.cc): the
// bytes are exactly etf's encoding of the control tuple, and the cached
// prefix follows every change of operation, sender or receiver.
#include "dist/control_prefix.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "dist/control_message.h"

namespace beamlink::dist {
namespace {

std::vector<uint8_t> encoded(const Term& control) {
  etf::EncodeOptions options;
  options.version = false;
  auto bytes = etf::encode(control, options);
  EXPECT_TRUE(bytes);
  return bytes ? *bytes : std::vector<uint8_t>{};
}

std::vector<uint8_t> bytes(std::span<const uint8_t> span) {
  return {span.begin(), span.end()};
}

const Pid kFrom{Atom("bench_client@127.0.0.1"), 88, 1, 0x12345678};
const Pid kTo{Atom("bench_server@127.0.0.1"), 99, 0, 7};

TEST(ControlPrefix, SendSenderSendAndRegSendMatchTheEncoder) {
  ControlPrefix prefix;
  EXPECT_EQ(bytes(prefix.send(&kFrom, kTo)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(kTo)})));
  EXPECT_EQ(bytes(prefix.send(nullptr, kTo)),
            encoded(Term::tuple({Term(SEND), Term::atom(""), Term(kTo)})));
  EXPECT_EQ(
      bytes(prefix.reg_send(kFrom, Atom("bench_rx"))),
      encoded(Term::tuple({Term(REG_SEND), Term(kFrom), Term::atom(""), Term::atom("bench_rx")})));
}

TEST(ControlPrefix, FollowsEveryChangeOfThePids) {
  ControlPrefix prefix;
  Pid other = kTo;
  for (uint32_t id = 0; id < 3; ++id) {
    other.id = id;
    EXPECT_EQ(bytes(prefix.send(&kFrom, other)),
              encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(other)})));
  }
  other.node = Atom("elsewhere@127.0.0.1");
  EXPECT_EQ(bytes(prefix.send(&kFrom, other)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(other)})));
  other.creation = 9;
  EXPECT_EQ(bytes(prefix.send(&kFrom, other)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(other)})));
  EXPECT_EQ(bytes(prefix.reg_send(kFrom, Atom("a"))),
            encoded(Term::tuple({Term(REG_SEND), Term(kFrom), Term::atom(""), Term::atom("a")})));
  EXPECT_EQ(bytes(prefix.reg_send(kFrom, Atom("b"))),
            encoded(Term::tuple({Term(REG_SEND), Term(kFrom), Term::atom(""), Term::atom("b")})));
  EXPECT_EQ(bytes(prefix.send(&kFrom, other)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(other)})));
}

TEST(ControlPrefix, LongNodeNamesAndAtomsTheWireCannotCarry) {
  ControlPrefix prefix;
  // 300 bytes in 100 code points: ATOM_UTF8_EXT with a 2-byte length.
  std::string long_name;
  for (int i = 0; i < 100; ++i) long_name += "\xe2\x82\xac";  // U+20AC
  const Pid far{Atom(long_name), 1, 2, 3};
  EXPECT_EQ(bytes(prefix.send(&kFrom, far)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(far)})));
  const Pid bad{Atom("bad\xff@host"), 1, 2, 3};
  EXPECT_TRUE(prefix.send(&kFrom, bad).empty());
  EXPECT_TRUE(prefix.reg_send(bad, Atom("x")).empty());
  EXPECT_TRUE(prefix.reg_send(kFrom, Atom("bad\xff")).empty());
  // And it recovers for the next good one.
  EXPECT_EQ(bytes(prefix.send(&kFrom, kTo)),
            encoded(Term::tuple({Term(SEND_SENDER), Term(kFrom), Term(kTo)})));
}

}  // namespace
}  // namespace beamlink::dist
