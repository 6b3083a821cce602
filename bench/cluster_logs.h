// Reading node logs for the cluster benchmark (bench/cluster_formation.cc).
//
// beamlink nodes log, and bench/cluster_bench.erl prints in the same shape:
//   2026-11-21T11:10:27.005Z info [beamlink:node] nodeup c@127.0.0.4
//   2026-11-21T11:10:29.120Z info [beamlink:node] nodedown c@127.0.0.4: <reason>
// Timestamps are UTC wall-clock milliseconds, so they compare with
// wall_ms() taken by the driver on the same machine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cluster_bench {

// Milliseconds since the epoch from "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::optional<int64_t> parse_stamp(std::string_view stamp);

struct NodeEvent {
  int64_t at_ms = 0;
  bool up = false;
  std::string peer;
  std::string reason;  // nodedown only
};

// A nodeup or nodedown line of either kind of node; nullopt for others.
std::optional<NodeEvent> parse_node_event(std::string_view line);

// Follows one growing log file and hands out each complete line once.
class LogFollower {
 public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int64_t offset_ = 0;
  std::string partial_;
};

// What one node has logged of its peers, in log order.
class PeerView {
 public:
  explicit PeerView(size_t expected) : expected_(expected) {}
  void add(const NodeEvent& event);
  // When the node came to see all `expected` peers, if it still does:
  // nodeup for that many distinct peers and no nodedown since.
  std::optional<int64_t> saw_all_at() const { return saw_all_at_; }
  // The first nodedown of `peer` logged at or after `since_ms`.
  std::optional<NodeEvent> down_since(const std::string& peer, int64_t since_ms) const;
  size_t downs() const { return downs_; }

 private:
  size_t expected_;
  std::map<std::string, bool> up_;
  size_t up_count_ = 0;
  std::optional<int64_t> saw_all_at_;
  std::vector<NodeEvent> downs_seen_;
  size_t downs_ = 0;
};

}  // namespace cluster_bench
