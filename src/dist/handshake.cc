// The handshake state machine; see handshake.h for the sequence.
#include "dist/handshake.h"

#include "dist/flags.h"

namespace beamlink::dist {
namespace {

std::vector<std::vector<uint8_t>> frames(std::vector<uint8_t> body) {
  std::vector<std::vector<uint8_t>> out;
  out.push_back(frame_handshake(body));
  return out;
}

bool valid_node_name(const std::string& name) {
  const auto at = name.find('@');
  return at != std::string::npos && at > 0 && at + 1 < name.size() &&
         name.find('@', at + 1) == std::string::npos;
}

}  // namespace

Handshake Handshake::initiator(HandshakeConfig config, std::string peer_name) {
  Handshake handshake(std::move(config), true);
  handshake.peer_.name = std::move(peer_name);
  return handshake;
}

Handshake Handshake::acceptor(HandshakeConfig config, PeerLookup lookup) {
  Handshake handshake(std::move(config), false);
  handshake.lookup_ = std::move(lookup);
  return handshake;
}

HandshakeStep Handshake::start() {
  phase_ = Phase::status;
  HandshakeStep step;
  step.send = frames(encode_name({6, config_.flags, config_.creation, config_.node_name}));
  return step;
}

HandshakeStep Handshake::receive(std::span<const uint8_t> body) {
  switch (phase_) {
    case Phase::send_name:
      if (initiator_) return failure(Errc::invalid_argument, "send_name", "start() not called");
      return on_name(body);
    case Phase::status:
      return on_status(body);
    case Phase::challenge:
      return on_challenge(body);
    case Phase::alive_answer:
      return on_alive_answer(body);
    case Phase::complement:
      return on_complement(body);
    case Phase::challenge_reply:
      return on_challenge_reply(body);
    case Phase::challenge_ack:
      return on_challenge_ack(body);
    case Phase::done:
      return failure(Errc::malformed, "done", "unexpected frame after the handshake");
    case Phase::failed:
      break;
  }
  return failure(Errc::closed, "failed", "handshake already failed");
}

HandshakeStep Handshake::on_name(std::span<const uint8_t> body) {
  auto name = parse_name(body);
  if (!name) return failure(name.error(), "send_name");
  peer_.name = name->name;
  peer_.flags = name->flags;
  peer_.creation = name->creation;
  old_name_ = body[0] == 'n';  // parse_name succeeded, so body is not empty
  auto refuse = [&](std::string_view detail) {
    status_ = std::string(kStatusNotAllowed);
    return failure(Errc::refused, "send_name", detail,
                   frames(encode_status({std::string(kStatusNotAllowed), {}, 0})));
  };
  if (!valid_node_name(peer_.name)) return refuse("invalid node name '" + peer_.name + "'");
  if (old_name_ && name->version != 5) {
    return refuse("version " + std::to_string(name->version) + " 'n' name (only 5 and 6 exist)");
  }
  if (const uint64_t missing = kMandatory25 & ~peer_.flags; missing != 0) {
    return refuse("missing mandatory flags " + flag_names(missing) + " (peer older than OTP 25?)");
  }

  const PeerState state = lookup_ ? lookup_(peer_.name) : PeerState::none;
  switch (state) {
    case PeerState::none:
      status_ = std::string(kStatusOk);
      break;
    case PeerState::pending_outgoing:
      // The greater name keeps its own attempt (erl compares atoms by text).
      status_ = std::string(peer_.name > config_.node_name ? kStatusOkSimultaneous : kStatusNok);
      break;
    case PeerState::connected:
      status_ = std::string(kStatusAlive);
      break;
  }
  HandshakeStep step;
  step.send = frames(encode_status({status_, {}, 0}));
  if (status_ == kStatusNok) {
    return failure(Errc::refused, "status", "simultaneous connect: our own attempt wins (nok sent)",
                   std::move(step.send));
  }
  if (status_ == kStatusAlive) {
    phase_ = Phase::alive_answer;
    return step;
  }
  step.send.push_back(challenge_frame());
  phase_ = old_name_ ? Phase::complement : Phase::challenge_reply;
  return step;
}

HandshakeStep Handshake::on_alive_answer(std::span<const uint8_t> body) {
  auto answer = parse_status(body);
  if (!answer) return failure(answer.error(), "status");
  if (answer->status == "false") {
    return failure(Errc::refused, "status", "peer keeps its existing connection (answered false)");
  }
  if (answer->status != "true") {
    return failure(Errc::malformed, "status",
                   "expected 'true' or 'false' after alive, got '" + answer->status + "'");
  }
  HandshakeStep step;
  step.send.push_back(challenge_frame());
  phase_ = old_name_ ? Phase::complement : Phase::challenge_reply;
  return step;
}

HandshakeStep Handshake::on_complement(std::span<const uint8_t> body) {
  auto complement = parse_complement(body);
  if (!complement) return failure(complement.error(), "complement");
  peer_.flags |= uint64_t{complement->flags_high} << 32;
  peer_.creation = complement->creation;
  phase_ = Phase::challenge_reply;
  return {};
}

HandshakeStep Handshake::on_challenge_reply(std::span<const uint8_t> body) {
  auto reply = parse_challenge_reply(body);
  if (!reply) return failure(reply.error(), "challenge_reply");
  if (reply->digest != challenge_digest(config_.challenge, config_.cookie)) {
    wrong_cookie_ = true;
    return failure(Errc::refused, "challenge_reply", "wrong digest (check the cookie)");
  }
  HandshakeStep step = done();
  step.send = frames(encode_challenge_ack({challenge_digest(reply->challenge, config_.cookie)}));
  return step;
}

HandshakeStep Handshake::on_status(std::span<const uint8_t> body) {
  auto status = parse_status(body);
  if (!status) return failure(status.error(), "status");
  status_ = status->status;
  if (status_ == kStatusOk || status_ == kStatusOkSimultaneous) {
    phase_ = Phase::challenge;
    return {};
  }
  if (status_ == kStatusAlive) {
    // We are dialling, so whatever connection the peer still holds is stale.
    phase_ = Phase::challenge;
    HandshakeStep step;
    step.send = frames(encode_status({"true", {}, 0}));
    return step;
  }
  if (status_ == kStatusNok) {
    return failure(Errc::refused, "status",
                   "nok: simultaneous connect, the peer's own attempt wins");
  }
  if (status_ == kStatusNotAllowed) {
    return failure(Errc::refused, "status", "not_allowed: the peer refuses this node");
  }
  return failure(Errc::refused, "status", "unexpected status '" + status_ + "'");
}

HandshakeStep Handshake::on_challenge(std::span<const uint8_t> body) {
  auto challenge = parse_challenge(body);
  if (!challenge) return failure(challenge.error(), "challenge");
  if (challenge->name != peer_.name) {
    return failure(Errc::refused, "challenge", "the peer calls itself '" + challenge->name + "'");
  }
  if (const uint64_t missing = kMandatory25 & ~challenge->flags; missing != 0) {
    return failure(Errc::refused, "challenge",
                   "missing mandatory flags " + flag_names(missing) + " (peer older than OTP 25?)");
  }
  peer_.flags = challenge->flags;
  peer_.creation = challenge->creation;
  phase_ = Phase::challenge_ack;
  HandshakeStep step;
  step.send = frames(encode_challenge_reply(
      {config_.challenge, challenge_digest(challenge->challenge, config_.cookie)}));
  return step;
}

HandshakeStep Handshake::on_challenge_ack(std::span<const uint8_t> body) {
  auto ack = parse_challenge_ack(body);
  if (!ack) return failure(ack.error(), "challenge_ack");
  if (ack->digest != challenge_digest(config_.challenge, config_.cookie)) {
    wrong_cookie_ = true;
    return failure(Errc::refused, "challenge_ack", "wrong digest (check the cookie)");
  }
  return done();
}

std::string_view Handshake::awaiting() const {
  switch (phase_) {
    case Phase::send_name:
      return "send_name";
    case Phase::status:
    case Phase::alive_answer:
      return "status";
    case Phase::challenge:
      return "challenge";
    case Phase::complement:
      return "complement";
    case Phase::challenge_reply:
      return "challenge_reply";
    case Phase::challenge_ack:
      return "challenge_ack";
    case Phase::done:
      return "done";
    case Phase::failed:
      break;
  }
  return "failed";
}

std::vector<uint8_t> Handshake::challenge_frame() const {
  return frame_handshake(
      encode_challenge({config_.flags, config_.challenge, config_.creation, config_.node_name}));
}

HandshakeStep Handshake::done() {
  phase_ = Phase::done;
  peer_.hidden = config_.hidden || (peer_.flags & DFLAG_PUBLISHED) == 0;
  HandshakeStep step;
  step.state = HandshakeStep::State::done;
  return step;
}

HandshakeStep Handshake::failure(Errc code, std::string_view phase, std::string_view detail,
                                 std::vector<std::vector<uint8_t>> send) {
  phase_ = Phase::failed;
  HandshakeStep step;
  step.state = HandshakeStep::State::failed;
  step.send = std::move(send);
  const std::string who = peer_.name.empty() ? "an unnamed peer" : peer_.name;
  step.error =
      Error{code, "handshake with " + who + ": " + std::string(phase) + ": " + std::string(detail)};
  return step;
}

HandshakeStep Handshake::failure(const Error& parse_error, std::string_view phase) {
  // Parse errors already start with the message name ("challenge: flags at ...").
  auto step = failure(parse_error.code, phase, "");
  const std::string who = peer_.name.empty() ? "an unnamed peer" : peer_.name;
  step.error.message = "handshake with " + who + ": " + parse_error.message;
  return step;
}

}  // namespace beamlink::dist
