// FailureDetector with an injected clock: a quiet peer's verdict at the
// configured floor, a timeout learned from irregular arrivals, and silence
// that is not counted (our reader away, our writes blocked, our stalls).
#include "dist/failure_detector.h"

#include <gtest/gtest.h>

namespace beamlink::dist {
namespace {

using namespace std::chrono_literals;
using TimePoint = FailureDetector::TimePoint;

const TimePoint t0{std::chrono::hours(1)};

FailureDetectorOptions defaults() {
  FailureDetectorOptions o;
  o.min_timeout = 1500ms;
  o.max_timeout = 60s;
  return o;
}

TEST(FailureDetectorTest, RegularTicksKeepTheFloorAndASilentPeerIsSuspectedAtIt) {
  FailureDetector d(defaults(), t0);
  TimePoint t = t0;
  for (int i = 0; i < 100; ++i) d.heard(t += 750ms);
  EXPECT_EQ(d.timeout(), 1500ms);
  EXPECT_FALSE(d.suspect(t + 1499ms));
  EXPECT_TRUE(d.suspect(t + 1500ms));
  EXPECT_GT(d.phi(t + 1500ms), d.phi(t + 800ms));
}

TEST(FailureDetectorTest, IrregularArrivalsEarnALongerTimeoutUpToTheCap) {
  FailureDetector d(defaults(), t0);
  TimePoint t = t0;
  // A busy peer: mostly 100 ms apart, every fourth gap 1.4 s (GC pauses).
  for (int i = 0; i < 64; ++i) d.heard(t += (i % 4 == 3 ? 1400ms : 100ms));
  EXPECT_GT(d.timeout(), 2000ms);
  EXPECT_LT(d.timeout(), 10s);
  EXPECT_FALSE(d.suspect(t + 1600ms));  // a gap like the ones it has shown
  auto capped = defaults();
  capped.max_timeout = 1800ms;
  FailureDetector c(capped, t0);
  t = t0;
  for (int i = 0; i < 64; ++i) c.heard(t += (i % 4 == 3 ? 1400ms : 100ms));
  EXPECT_EQ(c.timeout(), 1800ms);
}

TEST(FailureDetectorTest, FewSamplesMeanTheFloor) {
  FailureDetector d(defaults(), t0);
  d.heard(t0 + 5s);  // one long first interval learns nothing yet
  EXPECT_EQ(d.timeout(), 1500ms);
}

TEST(FailureDetectorTest, SilenceWhileWeWereNotListeningIsNotCounted) {
  FailureDetector d(defaults(), t0);
  d.heard(t0 + 100ms);
  // Our reader was away (or our writes blocked) until t0 + 3 s.
  d.excuse(t0 + 3s);
  EXPECT_EQ(d.silence(t0 + 3s), 0ms);
  EXPECT_FALSE(d.suspect(t0 + 4s));
  EXPECT_TRUE(d.suspect(t0 + 4500ms));
  // An excuse is not a heartbeat: no interval was sampled.
  EXPECT_EQ(d.samples(), 1u);
  // An earlier excuse changes nothing.
  d.excuse(t0 + 1s);
  EXPECT_EQ(d.silence(t0 + 4s), 1s);
}

TEST(FailureDetectorTest, OurOwnStallIsDiscounted) {
  FailureDetector d(defaults(), t0);
  d.heard(t0);
  d.discount(2s);  // the process was descheduled for 2 s
  EXPECT_EQ(d.silence(t0 + 2500ms), 500ms);
  EXPECT_FALSE(d.suspect(t0 + 2500ms));
  EXPECT_TRUE(d.suspect(t0 + 3500ms));
}

TEST(FailureDetectorTest, OldOrRepeatedHeartbeatsAreIgnored) {
  FailureDetector d(defaults(), t0);
  d.heard(t0 + 1s);
  d.heard(t0 + 1s);
  d.heard(t0 + 500ms);
  EXPECT_EQ(d.samples(), 1u);
  EXPECT_EQ(d.last_heartbeat(), t0 + 1s);
}

}  // namespace
}  // namespace beamlink::dist
