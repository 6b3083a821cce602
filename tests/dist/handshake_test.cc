// The handshake state machine, both roles, fed frame by frame.
#include "dist/handshake.h"

#include <gtest/gtest.h>

#include <deque>

#include "dist/flags.h"

namespace beamlink::dist {
namespace {

using Bytes = std::vector<uint8_t>;

HandshakeConfig config(std::string name, std::string cookie, uint32_t challenge,
                       uint64_t flags = advertised_flags(false)) {
  HandshakeConfig c;
  c.node_name = std::move(name);
  c.cookie = std::move(cookie);
  c.flags = flags;
  c.creation = challenge ^ 0x5555;
  c.challenge = challenge;
  return c;
}

// The body of a 2-byte-length frame.
Bytes body(const Bytes& frame) {
  return Bytes(frame.begin() + 2, frame.end());
}

struct Outcome {
  HandshakeStep initiator;
  HandshakeStep acceptor;
  std::vector<Bytes> to_acceptor;  // bodies the initiator sent
  std::vector<Bytes> to_initiator;
};

// Pumps frames between the two until both stop running.
Outcome run(Handshake& initiator, Handshake& acceptor) {
  Outcome outcome;
  std::deque<Bytes> a_in;
  std::deque<Bytes> i_in;
  outcome.initiator = initiator.start();
  for (auto& f : outcome.initiator.send) a_in.push_back(body(f));
  outcome.acceptor.state = HandshakeStep::State::running;
  for (int rounds = 0; rounds < 20; ++rounds) {
    if (!a_in.empty() && outcome.acceptor.state == HandshakeStep::State::running) {
      outcome.to_acceptor.push_back(a_in.front());
      outcome.acceptor = acceptor.receive(a_in.front());
      a_in.pop_front();
      for (auto& f : outcome.acceptor.send) i_in.push_back(body(f));
    } else if (!i_in.empty() && outcome.initiator.state == HandshakeStep::State::running) {
      outcome.to_initiator.push_back(i_in.front());
      outcome.initiator = initiator.receive(i_in.front());
      i_in.pop_front();
      for (auto& f : outcome.initiator.send) a_in.push_back(body(f));
    } else {
      break;
    }
  }
  return outcome;
}

TEST(HandshakeTest, BothSidesFinishAndLearnEachOther) {
  auto initiator = Handshake::initiator(config("a@h", "c", 111), "b@h");
  auto acceptor = Handshake::acceptor(config("b@h", "c", 222), nullptr);
  auto outcome = run(initiator, acceptor);
  ASSERT_EQ(outcome.initiator.state, HandshakeStep::State::done) << outcome.initiator.error.message;
  ASSERT_EQ(outcome.acceptor.state, HandshakeStep::State::done) << outcome.acceptor.error.message;
  EXPECT_EQ(initiator.peer().name, "b@h");
  EXPECT_EQ(initiator.peer().creation, 222u ^ 0x5555);
  EXPECT_EQ(initiator.peer().flags, advertised_flags(false));
  EXPECT_FALSE(initiator.peer().hidden);
  EXPECT_EQ(acceptor.peer().name, "a@h");
  EXPECT_EQ(acceptor.peer().creation, 111u ^ 0x5555);
  EXPECT_EQ(acceptor.status(), "ok");
  // name, challenge_reply from the initiator; status, challenge, ack from the acceptor.
  ASSERT_EQ(outcome.to_acceptor.size(), 2u);
  EXPECT_EQ(outcome.to_acceptor[0][0], 'N');
  EXPECT_EQ(outcome.to_acceptor[1][0], 'r');
  ASSERT_EQ(outcome.to_initiator.size(), 3u);
  EXPECT_EQ(outcome.to_initiator[0], (Bytes{'s', 'o', 'k'}));
  EXPECT_EQ(outcome.to_initiator[1][0], 'N');
  EXPECT_EQ(outcome.to_initiator[2][0], 'a');
  // The reply carries the initiator's challenge and the digest of the acceptor's.
  auto reply = parse_challenge_reply(outcome.to_acceptor[1]);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->challenge, 111u);
  EXPECT_EQ(reply->digest, challenge_digest(222, "c"));
}

TEST(HandshakeTest, WrongCookieFailsAtTheAcceptorsDigestCheck) {
  auto initiator = Handshake::initiator(config("a@h", "mine", 1), "b@h");
  auto acceptor = Handshake::acceptor(config("b@h", "theirs", 2), nullptr);
  auto outcome = run(initiator, acceptor);
  ASSERT_EQ(outcome.acceptor.state, HandshakeStep::State::failed);
  EXPECT_EQ(outcome.acceptor.error.code, Errc::refused);
  EXPECT_EQ(outcome.acceptor.error.message,
            "handshake with a@h: challenge_reply: wrong digest (check the cookie)");
  EXPECT_TRUE(acceptor.wrong_cookie());
  EXPECT_TRUE(outcome.acceptor.send.empty());  // erl just closes; so do we
  EXPECT_EQ(initiator.awaiting(), "challenge_ack");
}

TEST(HandshakeTest, InitiatorChecksTheAckDigest) {
  auto initiator = Handshake::initiator(config("a@h", "c", 5), "b@h");
  initiator.start();
  ASSERT_EQ(initiator.receive(Bytes{'s', 'o', 'k'}).state, HandshakeStep::State::running);
  auto step = initiator.receive(encode_challenge({advertised_flags(false), 9, 1, "b@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::running);
  const auto bad = encode_challenge_ack({challenge_digest(5, "other")});
  step = initiator.receive(bad);
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_EQ(step.error.message,
            "handshake with b@h: challenge_ack: wrong digest (check the cookie)");
  EXPECT_TRUE(initiator.wrong_cookie());
}

TEST(HandshakeTest, AcceptorRefusesAPeerLackingMandatoryFlags) {
  auto acceptor = Handshake::acceptor(config("b@h", "c", 2), nullptr);
  const uint64_t flags = kMandatory25 & ~(DFLAG_MAP_TAG | DFLAG_BIG_CREATION);
  auto step = acceptor.receive(encode_name({6, flags, 1, "old@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  ASSERT_EQ(step.send.size(), 1u);
  EXPECT_EQ(body(step.send[0]),
            (Bytes{'s', 'n', 'o', 't', '_', 'a', 'l', 'l', 'o', 'w', 'e', 'd'}));
  EXPECT_EQ(step.error.message,
            "handshake with old@h: send_name: missing mandatory flags "
            "DFLAG_MAP_TAG|DFLAG_BIG_CREATION (peer older than OTP 25?)");
}

TEST(HandshakeTest, InitiatorRefusesAChallengeLackingMandatoryFlags) {
  auto initiator = Handshake::initiator(config("a@h", "c", 5), "b@h");
  initiator.start();
  initiator.receive(Bytes{'s', 'o', 'k'});
  auto step = initiator.receive(encode_challenge({kMandatory25 & ~DFLAG_UTF8_ATOMS, 9, 1, "b@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_NE(step.error.message.find("DFLAG_UTF8_ATOMS"), std::string::npos);
}

TEST(HandshakeTest, AcceptorRefusesABadName) {
  auto acceptor = Handshake::acceptor(config("b@h", "c", 2), nullptr);
  auto step = acceptor.receive(encode_name({6, advertised_flags(false), 1, "nohost"}));
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_EQ(acceptor.status(), "not_allowed");
}

TEST(HandshakeTest, VersionFiveNameGetsAComplement) {
  // An OTP 23/24 node without EPMD sends 'n' and then 'c' with the high
  // flag word and its creation.
  auto acceptor = Handshake::acceptor(config("b@h", "c", 77), nullptr);
  const uint64_t flags = advertised_flags(false);
  auto step = acceptor.receive(encode_name({5, flags, 0, "old@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::running) << step.error.message;
  ASSERT_EQ(step.send.size(), 2u);  // status ok + challenge 'N'
  EXPECT_EQ(body(step.send[0]), (Bytes{'s', 'o', 'k'}));
  EXPECT_EQ(body(step.send[1])[0], 'N');
  EXPECT_EQ(acceptor.awaiting(), "complement");
  step = acceptor.receive(encode_complement({static_cast<uint32_t>(flags >> 32), 4242}));
  ASSERT_EQ(step.state, HandshakeStep::State::running);
  step = acceptor.receive(encode_challenge_reply({9, challenge_digest(77, "c")}));
  ASSERT_EQ(step.state, HandshakeStep::State::done) << step.error.message;
  EXPECT_EQ(acceptor.peer().flags, flags);
  EXPECT_EQ(acceptor.peer().creation, 4242u);
  ASSERT_EQ(step.send.size(), 1u);
  EXPECT_EQ(parse_challenge_ack(body(step.send[0]))->digest, challenge_digest(9, "c"));
}

TEST(HandshakeTest, SimultaneousConnectGreaterNameKeepsItsAttempt) {
  // b@h is dialling a@h while a@h dials b@h: "b@h" > "a@h", so b answers nok.
  auto acceptor_b = Handshake::acceptor(
      config("b@h", "c", 2), [](const std::string&) { return PeerState::pending_outgoing; });
  auto step = acceptor_b.receive(encode_name({6, advertised_flags(false), 1, "a@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  ASSERT_EQ(step.send.size(), 1u);
  EXPECT_EQ(body(step.send[0]), (Bytes{'s', 'n', 'o', 'k'}));
  EXPECT_EQ(acceptor_b.status(), "nok");

  // ... and a, the smaller, answers ok_simultaneous and goes on.
  std::string asked;
  auto acceptor_a = Handshake::acceptor(config("a@h", "c", 2), [&](const std::string& peer) {
    asked = peer;
    return PeerState::pending_outgoing;
  });
  step = acceptor_a.receive(encode_name({6, advertised_flags(false), 1, "b@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::running);
  EXPECT_EQ(asked, "b@h");
  EXPECT_EQ(body(step.send[0]), (Bytes{'s', 'o', 'k', '_', 's', 'i', 'm', 'u', 'l', 't', 'a', 'n',
                                       'e', 'o', 'u', 's'}));

  // The initiator told "nok" stops, naming the reason.
  auto initiator = Handshake::initiator(config("a@h", "c", 5), "b@h");
  initiator.start();
  step = initiator.receive(Bytes{'s', 'n', 'o', 'k'});
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_EQ(step.error.message,
            "handshake with b@h: status: nok: simultaneous connect, the peer's own attempt wins");
}

TEST(HandshakeTest, NamesCompareAsBytes) {
  // "z@a" > "b@z" byte by byte, whatever the host parts say.
  auto acceptor = Handshake::acceptor(
      config("b@z", "c", 2), [](const std::string&) { return PeerState::pending_outgoing; });
  acceptor.receive(encode_name({6, advertised_flags(false), 1, "z@a"}));
  EXPECT_EQ(acceptor.status(), "ok_simultaneous");
}

TEST(HandshakeTest, AliveIsAnsweredTrueAndReplaces) {
  auto initiator = Handshake::initiator(config("a@h", "c", 111), "b@h");
  auto acceptor = Handshake::acceptor(config("b@h", "c", 222),
                                      [](const std::string&) { return PeerState::connected; });
  auto outcome = run(initiator, acceptor);
  ASSERT_EQ(outcome.acceptor.state, HandshakeStep::State::done) << outcome.acceptor.error.message;
  ASSERT_EQ(outcome.initiator.state, HandshakeStep::State::done);
  EXPECT_EQ(acceptor.status(), "alive");
  EXPECT_EQ(outcome.to_initiator[0], (Bytes{'s', 'a', 'l', 'i', 'v', 'e'}));
  EXPECT_EQ(outcome.to_acceptor[1], (Bytes{'s', 't', 'r', 'u', 'e'}));
}

TEST(HandshakeTest, AliveAnsweredFalseEnds) {
  auto acceptor = Handshake::acceptor(config("b@h", "c", 222),
                                      [](const std::string&) { return PeerState::connected; });
  acceptor.receive(encode_name({6, advertised_flags(false), 1, "a@h"}));
  auto step = acceptor.receive(Bytes{'s', 'f', 'a', 'l', 's', 'e'});
  EXPECT_EQ(step.state, HandshakeStep::State::failed);
}

TEST(HandshakeTest, ChallengeFromTheWrongNodeIsRefused) {
  auto initiator = Handshake::initiator(config("a@h", "c", 5), "b@h");
  initiator.start();
  initiator.receive(Bytes{'s', 'o', 'k'});
  auto step = initiator.receive(encode_challenge({advertised_flags(false), 9, 1, "impostor@h"}));
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_EQ(step.error.message,
            "handshake with b@h: challenge: the peer calls itself 'impostor@h'");
}

TEST(HandshakeTest, MalformedFramesNameThePhase) {
  auto initiator = Handshake::initiator(config("a@h", "c", 5), "b@h");
  initiator.start();
  initiator.receive(Bytes{'s', 'o', 'k'});
  auto step = initiator.receive(Bytes{'N', 1, 2});
  ASSERT_EQ(step.state, HandshakeStep::State::failed);
  EXPECT_EQ(step.error.message,
            "handshake with b@h: challenge: flags at offset 1: truncated (need 8 bytes, 2 left)");
  // Nothing is accepted after a failure.
  EXPECT_EQ(initiator.receive(Bytes{'a'}).state, HandshakeStep::State::failed);
}

TEST(HandshakeTest, HiddenPeerOrHiddenSelf) {
  auto initiator = Handshake::initiator(config("a@h", "c", 1), "b@h");
  auto acceptor = Handshake::acceptor(config("b@h", "c", 2, advertised_flags(true)), nullptr);
  run(initiator, acceptor);
  EXPECT_TRUE(initiator.peer().hidden);  // b did not announce PUBLISHED
  EXPECT_FALSE(acceptor.peer().hidden);
}

}  // namespace
}  // namespace beamlink::dist
