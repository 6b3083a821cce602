// node_registry.h - the daemon's table of registered nodes.
//
// A name is held by one connection (identified by a ConnectionId) from a
// successful ALIVE2_REQ until that connection closes. Creation numbers work
// like epmd since OTP 23: a random 32-bit start, then one more per
// registration, skipping 0..3 (the values old 2-bit creations use).
// Thread-safe: the server thread mutates it, any thread may take a snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/result.h"

namespace beamlink::epmd {

using ConnectionId = uint64_t;

class NodeRegistry {
 public:
  // `first_creation` 0 means a random start.
  explicit NodeRegistry(uint32_t first_creation = 0);

  // Errc::refused when the name is taken, by this or another connection.
  Result<uint32_t> add(const NodeInfo& node, std::string peer, ConnectionId owner);

  // Drops whatever `owner` registered; returns the name, if any.
  std::optional<std::string> release(ConnectionId owner);
  // Drops `name`; returns the connection that held it.
  std::optional<ConnectionId> release_name(std::string_view name);

  std::optional<NodeInfo> find(std::string_view name) const;
  std::vector<RegisteredNode> snapshot() const;  // sorted by name
  std::vector<std::pair<RegisteredNode, ConnectionId>> snapshot_with_owners() const;
  bool empty() const;

 private:
  struct Entry {
    RegisteredNode row;
    ConnectionId owner;
  };

  uint32_t next_creation_locked();

  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> by_name_;
  uint32_t creation_;
};

}  // namespace beamlink::epmd
