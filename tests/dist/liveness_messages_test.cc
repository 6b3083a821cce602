// The liveness messages beamlink nodes exchange: they round-trip, they are
// REG_SENDs to a name no process has (so erl drops them), and anything
// malformed is refused rather than misread.
#include "dist/liveness_messages.h"

#include <gtest/gtest.h>

#include "dist/control_message.h"
#include "dist/distribution.h"

namespace beamlink::dist {
namespace {

LivenessMessage of(LivenessMessage::Kind kind) {
  LivenessMessage message;
  message.kind = kind;
  return message;
}

TEST(LivenessMessages, RoundTrip) {
  LivenessMessage suspect = of(LivenessMessage::Kind::suspect);
  suspect.node = "x@127.0.0.1";
  suspect.silent_ms = 1512;
  LivenessMessage doubt = suspect;
  doubt.kind = LivenessMessage::Kind::doubt;
  for (const auto& message :
       {of(LivenessMessage::Kind::hello), of(LivenessMessage::Kind::watch),
        of(LivenessMessage::Kind::unwatch), of(LivenessMessage::Kind::ping), suspect, doubt}) {
    const auto encoded = encode_liveness(message, "a@127.0.0.1", 7);
    ASSERT_TRUE(is_liveness_message(encoded.control));
    const auto decoded = decode_liveness(encoded.control, &encoded.payload);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->kind, message.kind);
    EXPECT_EQ(decoded->node, message.node);
    EXPECT_EQ(decoded->silent_ms, message.silent_ms);
  }
}

TEST(LivenessMessages, AreRegSendsFromTheProbePidToAnUnregisteredName) {
  const auto encoded = encode_liveness(of(LivenessMessage::Kind::hello), "a@127.0.0.1", 7);
  EXPECT_EQ(control_op(encoded.control), REG_SEND);
  const Pid* from = encoded.control.element(1)->get_if<Pid>();
  ASSERT_NE(from, nullptr);
  EXPECT_EQ(from->id, kProbePidId);
  EXPECT_EQ(from->node.name, "a@127.0.0.1");
  EXPECT_EQ(*encoded.control.element(3), Term::atom(kLivenessName));
}

TEST(LivenessMessages, OtherMessagesAndMalformedPayloadsAreRefused) {
  const Term to_net_kernel =
      Term::tuple({REG_SEND, Term::atom("x"), Term::atom(""), Term::atom("net_kernel")});
  EXPECT_FALSE(is_liveness_message(to_net_kernel));
  const Term ping = Term::atom("ping");
  EXPECT_FALSE(decode_liveness(to_net_kernel, &ping));
  const auto control = encode_liveness(of(LivenessMessage::Kind::ping), "a@h", 1).control;
  EXPECT_FALSE(decode_liveness(control, nullptr));
  const Term bad[] = {
      Term::atom("pong"),
      Term::tuple({Term::atom("hello")}),
      Term::tuple({Term::atom("hello"), Term::atom("one")}),
      Term::tuple({Term::atom("watch"), Term::atom("maybe")}),
      Term::tuple({Term::atom("suspect"), Term::atom("x@h")}),
      Term::tuple({Term::atom("suspect"), Term::atom("x@h"), Term(-1)}),
      Term::tuple({Term::atom("suspect"), Term(3), Term(10)}),
      Term(42),
  };
  for (size_t i = 0; i < std::size(bad); ++i) EXPECT_FALSE(decode_liveness(control, &bad[i])) << i;
}

}  // namespace
}  // namespace beamlink::dist
