// Tags OTP no longer writes but may still be sent by old or foreign peers:
// FLOAT_EXT, ATOM_EXT, SMALL_ATOM_EXT, PID_EXT, PORT_EXT, REFERENCE_EXT,
// NEW_REFERENCE_EXT. Each decodes to the same term the modern tag gives.
#include <gtest/gtest.h>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

Packet float_text(std::string_view s) {
  Packet bytes = cat({{131, 99}, text(s)});
  bytes.resize(2 + 31, 0);
  return bytes;
}

TEST(LegacyDecode, FloatText) {
  EXPECT_EQ(decoded(float_text("1.50000000000000000000e+00")), Term(1.5));
  EXPECT_EQ(decoded(float_text("-2.5e-3")), Term(-2.5e-3));
  EXPECT_EQ(decoded(float_text("1.5")), Term(1.5));
  // OTP ignores what follows the first NUL.
  Packet after_nul = float_text("1.5");
  after_nul[10] = 'x';
  EXPECT_EQ(decoded(after_nul), Term(1.5));
}

TEST(LegacyDecode, FloatTextIsParsedStrictly) {
  for (std::string_view bad : {" 1.5", "1.5x", "", "1e400", "inf", "nan", "0x1p3"}) {
    auto term = decode(float_text(bad));
    ASSERT_FALSE(term) << bad;
    EXPECT_EQ(term.error().code, Errc::malformed);
    EXPECT_EQ(term.error().message,
              "ETF FLOAT_EXT (99) at offset 1: float text is not a finite number");
  }
  // 31 characters with no NUL at all is still read whole.
  EXPECT_EQ(decoded(float_text("1.0000000000000000000000000e+00")), Term(1.0));
}

TEST(LegacyDecode, Latin1AtomsBecomeUtf8) {
  EXPECT_EQ(decoded({131, 100, 0, 2, 'o', 'k'}), atom("ok"));
  EXPECT_EQ(decoded({131, 115, 2, 'o', 'k'}), atom("ok"));
  EXPECT_EQ(decoded({131, 115, 1, 0xE5}), atom("\xC3\xA5"));  // 'å'
  Packet longest = {131, 100, 0, 255};
  longest.resize(4 + 255, 0xE9);
  EXPECT_EQ(decoded(longest).as<Atom>().name.size(), 510u);
}

TEST(LegacyDecode, OldPidPortAndReferences) {
  EXPECT_EQ(decoded({131, 103, 100, 0, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 2, 3}),
            Term(pid("n", 1, 2, 3)));
  EXPECT_EQ(decoded({131, 102, 100, 0, 1, 'n', 0, 0, 0, 9, 2}), Term(Port{Atom("n"), 9, 2}));
  EXPECT_EQ(decoded({131, 101, 100, 0, 1, 'n', 0, 0, 0, 9, 2}), Term(Reference{Atom("n"), 2, {9}}));
  EXPECT_EQ(decoded({131, 114, 0, 2, 100, 0, 1, 'n', 3, 0, 0, 0, 1, 0, 0, 0, 2}),
            Term(Reference{Atom("n"), 3, {1, 2}}));
}

TEST(LegacyDecode, ExportArityMayBeAnIntegerExt) {
  EXPECT_EQ(decoded({131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 98, 0, 0, 0, 2}),
            Term(ExportFun{Atom("m"), Atom("f"), 2}));
}

TEST(LegacyDecode, EmptyStringExtAndEmptyTuples) {
  EXPECT_EQ(decoded({131, 107, 0, 0}), Term::nil());
  EXPECT_EQ(decoded({131, 105, 0, 0, 0, 0}), tuple({}));
  EXPECT_EQ(decoded({131, 116, 0, 0, 0, 0}), Term::map({}));
}

}  // namespace
}  // namespace beamlink::etf::testing
