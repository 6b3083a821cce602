// Distribution headers, sending: exact bytes sent, fragments, and the
// control message kinds. (Receiving: dist_reader_test.cc.)
#include "dist/dist_header.h"

#include <gtest/gtest.h>

#include "dist/control_message.h"
#include "dist/dist_frames.h"

namespace beamlink::dist {
namespace {

using namespace beamlink::dist::testing;

TEST(DistHeaderSendTest, NormalHeaderWithoutAtomCacheForFragmentsPeers) {
  Bytes out{0xEE};  // appends after what is there
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {true, 1024}, 1));
  EXPECT_EQ(out, concat({{0xEE, 0, 0, 0, 14, 131, 68, 0}, kControlBytes, {97, 7}}));
}

TEST(DistHeaderSendTest, PassThroughForPeersWithoutFragments) {
  Bytes out;
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {false, 4}, 1));
  EXPECT_EQ(out, concat({{0, 0, 0, 14, 112, 131}, kControlBytes, {131, 97, 7}}));
  out.clear();
  ASSERT_TRUE(append_message(out, kControl, nullptr, {false, 4}, 1));
  EXPECT_EQ(out, concat({{0, 0, 0, 11, 112, 131}, kControlBytes}));
}

TEST(DistHeaderSendTest, FragmentsExactBytes) {
  // 11 bytes of terms in fragments of 4: ids 3, 2, 1.
  Bytes out{0xAB};
  ASSERT_TRUE(append_message(out, kControl, &kPayload, {true, 4}, 0x0102));
  const Bytes seq{0, 0, 0, 0, 0, 0, 1, 2};
  const Bytes expected = concat({
      {0xAB},
      {0, 0, 0, 23, 131, 69},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 3},
      {0},
      {104, 3, 97, 2},
      {0, 0, 0, 22, 131, 70},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 2},
      {119, 0, 119, 1},
      {0, 0, 0, 21, 131, 70},
      seq,
      {0, 0, 0, 0, 0, 0, 0, 1},
      {'x', 97, 7},
  });
  EXPECT_EQ(out, expected);
}

TEST(DistHeaderSendTest, UnencodableTermLeavesBufferAlone) {
  Bytes out{1, 2, 3};
  const Term bad(Reference{Atom("a@b"), 0, {}});  // no id words
  EXPECT_FALSE(append_message(out, kControl, &bad, {true, 4}, 1));
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(ControlMessageTest, PayloadKinds) {
  for (int64_t op :
       {SEND, REG_SEND, SEND_TT, REG_SEND_TT, SEND_SENDER, SEND_SENDER_TT, PAYLOAD_EXIT,
        PAYLOAD_EXIT_TT, PAYLOAD_EXIT2, PAYLOAD_EXIT2_TT, PAYLOAD_MONITOR_P_EXIT, SPAWN_REQUEST,
        SPAWN_REQUEST_TT, ALIAS_SEND, ALIAS_SEND_TT}) {
    EXPECT_TRUE(carries_payload(op)) << op;
  }
  for (int64_t op :
       {LINK, EXIT, UNLINK, NODE_LINK, GROUP_LEADER, EXIT2, EXIT_TT, EXIT2_TT, MONITOR_P,
        DEMONITOR_P, MONITOR_P_EXIT, SPAWN_REPLY, SPAWN_REPLY_TT, UNLINK_ID, UNLINK_ID_ACK}) {
    EXPECT_FALSE(carries_payload(op)) << op;
  }
  EXPECT_EQ(UNLINK_ID_ACK, 36);
  EXPECT_EQ(control_op(kControl), SEND);
  EXPECT_EQ(control_op(Term(1)), std::nullopt);
  EXPECT_EQ(control_op(Term::tuple({})), std::nullopt);
}

}  // namespace
}  // namespace beamlink::dist
