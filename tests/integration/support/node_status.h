// node_status.h - what a `beamlink node --health-port P` says on GET
// /status, read the way a probe or a human would: over HTTP on loopback.
// Thread-compatible: concurrent calls share nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace beamlink::testing {

struct NodeStatus {
  std::string json;                // the whole answer, for failure messages
  std::vector<std::string> peers;  // connected visible nodes, sorted
  // The first topology's fields.
  std::vector<std::string> desired;  // sorted
  uint64_t disconnects = 0;
  uint64_t discovery_errors = 0;
  std::string last_error;
};

// GET /status from 127.0.0.1:`port`; nullopt when the node does not answer
// with a 200 and a status body within `timeout`.
std::optional<NodeStatus> node_status(uint16_t port,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace beamlink::testing
