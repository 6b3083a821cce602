// dist/handshake.h - the distribution handshake as a pure state machine,
// for both roles (erl_dist_protocol, "Distribution Handshake").
//
// The owner feeds it the bodies of the 2-byte-length frames it reads and
// writes out the frames each step returns; the machine does no I/O and
// keeps no clock (the owner bounds the whole exchange by net_setuptime).
//
//   initiator: start() -> send_name; status; challenge -> challenge_reply;
//              challenge_ack -> done
//   acceptor:  send_name -> status + challenge (or status alone when
//              refusing); [complement, for a version 5 'n' name];
//              challenge_reply -> challenge_ack -> done
//
// Simultaneous connects: when a peer names itself, the acceptor asks its
// PeerLookup whether there is an outgoing attempt to, or a connection with,
// that node. With a pending attempt, the node whose name is greater (byte
// comparison, as erl compares atoms) keeps its own attempt: a greater peer
// gets "ok_simultaneous" (the owner must then drop its own attempt), a
// smaller one "nok". With an existing connection the answer is "alive"; an
// initiator answers "true" to that (it is dialling, so the old connection is
// stale) and the acceptor then replaces the old connection.
//
// Errors name the peer and the phase: "handshake with x@h: challenge_reply:
// wrong digest (check the cookie)". A failed step may still carry frames to
// send before closing (a refusing status).
//
// Not thread safe; one machine per connection attempt.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "beamlink/result.h"
#include "dist/distribution.h"
#include "dist/handshake_messages.h"

namespace beamlink::dist {

struct HandshakeConfig {
  std::string node_name;  // ours
  std::string cookie;
  uint64_t flags = 0;  // what we announce
  uint32_t creation = 0;
  uint32_t challenge = 0;  // our challenge; the owner draws it at random
  bool hidden = false;     // we are hidden
};

enum class PeerState { none, pending_outgoing, connected };
using PeerLookup = std::function<PeerState(const std::string& peer_name)>;

struct HandshakeStep {
  enum class State { running, done, failed };
  State state = State::running;
  std::vector<std::vector<uint8_t>> send;  // framed, in order
  Error error;                             // when failed
};

class Handshake {
 public:
  // `peer_name` is the node being dialled; its challenge must name it.
  static Handshake initiator(HandshakeConfig config, std::string peer_name);
  static Handshake acceptor(HandshakeConfig config, PeerLookup lookup);

  // Initiator only: the send_name frame.
  HandshakeStep start();
  // One received frame body (after the 2-byte length).
  HandshakeStep receive(std::span<const uint8_t> body);

  bool is_initiator() const { return initiator_; }
  // Valid once done; the name (and flags) as soon as the peer sent them.
  const PeerInfo& peer() const { return peer_; }
  // The status this side sent (acceptor) or received (initiator).
  const std::string& status() const { return status_; }
  // True when it failed because the peer's digest did not match our cookie.
  bool wrong_cookie() const { return wrong_cookie_; }
  // The message it waits for next ("challenge_ack"), for I/O errors.
  std::string_view awaiting() const;

 private:
  enum class Phase {
    send_name,
    status,
    challenge,
    alive_answer,
    complement,
    challenge_reply,
    challenge_ack,
    done,
    failed,
  };

  Handshake(HandshakeConfig config, bool initiator)
      : config_(std::move(config)), initiator_(initiator) {}

  HandshakeStep on_name(std::span<const uint8_t> body);
  HandshakeStep on_status(std::span<const uint8_t> body);
  HandshakeStep on_challenge(std::span<const uint8_t> body);
  HandshakeStep on_alive_answer(std::span<const uint8_t> body);
  HandshakeStep on_complement(std::span<const uint8_t> body);
  HandshakeStep on_challenge_reply(std::span<const uint8_t> body);
  HandshakeStep on_challenge_ack(std::span<const uint8_t> body);

  std::vector<uint8_t> challenge_frame() const;
  HandshakeStep failure(Errc code, std::string_view phase, std::string_view detail,
                        std::vector<std::vector<uint8_t>> send = {});
  HandshakeStep failure(const Error& parse_error, std::string_view phase);
  HandshakeStep done();

  HandshakeConfig config_;
  bool initiator_;
  PeerLookup lookup_;
  Phase phase_ = Phase::send_name;
  PeerInfo peer_;
  std::string status_;
  bool old_name_ = false;  // the peer sent a version 5 'n'
  bool wrong_cookie_ = false;
};

}  // namespace beamlink::dist
