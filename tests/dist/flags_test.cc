// Distribution flags: OTP's values and what beamlink announces.
#include "dist/flags.h"

#include <gtest/gtest.h>

namespace beamlink::dist {
namespace {

TEST(FlagsTest, ValuesAreOtps) {
  EXPECT_EQ(kMandatory25, 0x1070F94u);
  EXPECT_EQ(DFLAG_V4_NC, uint64_t{1} << 34);
  EXPECT_EQ(DFLAG_UNLINK_ID, 0x2000000u);
  EXPECT_EQ(DFLAG_MANDATORY_25_DIGEST, 0x4000000u);
  EXPECT_EQ(DFLAG_SPAWN, uint64_t{1} << 32);
  EXPECT_EQ(DFLAG_ALIAS, uint64_t{1} << 35);
  EXPECT_EQ(DFLAG_FRAGMENTS, 0x800000u);
  EXPECT_EQ(DFLAG_HANDSHAKE_23, 0x1000000u);
}

TEST(FlagsTest, AdvertisedSet) {
  const uint64_t published = advertised_flags(false);
  EXPECT_EQ(published & kMandatory25, kMandatory25);
  for (uint64_t flag : {DFLAG_DIST_MONITOR, DFLAG_DIST_MONITOR_NAME, DFLAG_SEND_SENDER,
                        DFLAG_EXIT_PAYLOAD, DFLAG_FRAGMENTS, DFLAG_SPAWN, DFLAG_ALIAS, DFLAG_V4_NC,
                        DFLAG_UNLINK_ID, DFLAG_MANDATORY_25_DIGEST, DFLAG_PUBLISHED}) {
    EXPECT_NE(published & flag, 0u) << flag_names(flag);
  }
  // Not implemented, so never announced.
  for (uint64_t flag : {DFLAG_DIST_HDR_ATOM_CACHE, DFLAG_NAME_ME, DFLAG_ATOM_CACHE,
                        DFLAG_PENDING_CONNECT, DFLAG_ETS_COMPRESSED}) {
    EXPECT_EQ(published & flag, 0u) << flag_names(flag);
  }
  EXPECT_EQ(advertised_flags(true), published & ~DFLAG_PUBLISHED);
}

TEST(FlagsTest, Names) {
  EXPECT_EQ(flag_names(DFLAG_MAP_TAG | DFLAG_UTF8_ATOMS), "DFLAG_UTF8_ATOMS|DFLAG_MAP_TAG");
  EXPECT_EQ(flag_names(DFLAG_V4_NC | (uint64_t{1} << 40)), "DFLAG_V4_NC|0x10000000000");
  EXPECT_EQ(flag_names(0), "");
}

}  // namespace
}  // namespace beamlink::dist
