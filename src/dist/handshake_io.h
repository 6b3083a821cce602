// dist/handshake_io.h - runs a Handshake over a Transport.
//
// Reads 2-byte-length frames, feeds them to the state machine and writes
// what it answers, all within `limit` (net_setuptime): when the time runs
// out the transport is closed and the result is Errc::timeout. Bytes the
// peer sent after its last handshake frame (the first distribution frames)
// are returned in `leftover` for the connection's reader.
//
// A peer that closes the stream while we wait for challenge_ack has almost
// always rejected our digest, so that error says "wrong cookie?".
// REQUIRES: called on the transport's strand.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <vector>

#include "dist/handshake.h"
#include "dist/transport.h"

namespace beamlink::dist {

struct HandshakeOutcome {
  PeerInfo peer;
  std::vector<uint8_t> leftover;
};

asio::awaitable<Result<HandshakeOutcome>> run_handshake(Transport& transport, Handshake& handshake,
                                                        std::chrono::milliseconds limit);

}  // namespace beamlink::dist
