// request_handler.h - what the daemon answers to one framed request.
//
// handle_request is the daemon's whole protocol logic with no I/O: it reads
// and updates the NodeRegistry and returns the reply bytes plus what the
// connection must do next. The connection (epmd_connection.cc) only moves
// bytes and carries out the Outcome. Called on the server thread.
//
// Rules, as real epmd applies them:
// - ALIVE2_REQ only from a local peer; refused (result 1) otherwise, and
//   for a taken name or a name/extra over the limits. ALIVE2_X_RESP when the
//   node's HighestVersion >= 6, else ALIVE2_RESP with a creation in 1..3.
// - DUMP_REQ, KILL_REQ and STOP_REQ only from a local peer; otherwise the
//   connection is closed without a reply.
// - KILL_REQ: "OK" and the server stops if no node is registered or the
//   relaxed command check is on; "NO" otherwise.
// - STOP_REQ: only with the relaxed command check; "STOPPED" after closing
//   the named node's registration, "NOEXIST" when there is none.
#pragma once

#include <optional>
#include <string>

#include "beamlink/epmd.h"
#include "epmd/node_registry.h"
#include "epmd/wire_bytes.h"

namespace beamlink::epmd {

struct PeerInfo {
  std::string description;  // "address:port" for logs
  bool local = false;       // see is_local_peer()
};

struct HandlerConfig {
  ServerLimits limits;
  bool relaxed_command_check = false;
  uint16_t epmd_port = 0;  // reported in NAMES_RESP and DUMP_RESP
};

enum class AfterReply {
  close,              // close the connection after the reply
  hold_registration,  // keep it open: the registration lives as long as it
  stop_server,        // close it, then stop the whole server
};

struct Outcome {
  Bytes reply;  // may be empty
  AfterReply after = AfterReply::close;
  std::optional<ConnectionId> close_connection;  // another connection to close (STOP_REQ)
  LogLevel level = LogLevel::debug;
  std::string log;  // empty: nothing worth logging
};

// The biggest request the limits allow: ALIVE2_REQ with the longest name
// and extra.
size_t max_request_size(const ServerLimits& limits);

Outcome handle_request(ByteSpan request, const PeerInfo& peer, ConnectionId self,
                       NodeRegistry& registry, const HandlerConfig& config);

}  // namespace beamlink::epmd
