#include "service/cluster_json.h"

#include <map>

#include "service/json_string.h"
#include "service/status_json.h"

namespace beamlink::service {
namespace {

struct NodeEntry {
  const PeerMetrics* peer = nullptr;  // null: wanted, not connected
  std::vector<std::string> topologies;
};

std::string field(const char* name, uint64_t value) {
  return std::string(",\"") + name + "\":" + std::to_string(value);
}

std::string node_json(const std::string& name, const NodeEntry& entry) {
  static const PeerMetrics kNone;
  const PeerMetrics& p = entry.peer ? *entry.peer : kNone;
  std::string out = "{\"name\":" + json_string(name) +
                    ",\"connected\":" + (entry.peer ? "true" : "false") +
                    ",\"hidden\":" + (p.hidden ? "true" : "false") + ",\"topologies\":[";
  for (size_t i = 0; i < entry.topologies.size(); ++i) {
    out += (i ? "," : "") + json_string(entry.topologies[i]);
  }
  out += "]" + field("messages_in", p.messages_received) + field("messages_out", p.messages_sent) +
         field("bytes_in", p.bytes_received) + field("bytes_out", p.bytes_sent) +
         field("queue_bytes", p.send_queue_bytes) +
         field("dropped", p.dropped_busy_timeout + p.dropped_overflow + p.dropped_over_limit);
  return out + "}";
}

}  // namespace

std::string cluster_json(const std::string& node, bool ready, const NodeMetrics& metrics,
                         const std::vector<TopologyStatus>& topologies) {
  std::map<std::string, NodeEntry> nodes;
  for (const auto& peer : metrics.peers) nodes[peer.peer].peer = &peer;
  for (const auto& topology : topologies) {
    for (const auto& wanted : topology.desired) {
      if (wanted == node) continue;
      auto& entry = nodes[wanted];
      if (entry.topologies.empty() || entry.topologies.back() != topology.name) {
        entry.topologies.push_back(topology.name);
      }
    }
  }
  const DistMetrics& d = metrics.dist;
  std::string out = "{\"node\":" + json_string(node) + ",\"ready\":" + (ready ? "true" : "false");
  out +=
      ",\"dist\":{\"connects_outgoing\":" + std::to_string(d.connects_outgoing) +
      field("connects_incoming", d.connects_incoming) +
      field("connect_failures", d.connect_failures) + field("disconnects", d.disconnects) +
      field("handshake_failures", d.handshake_failures_outgoing + d.handshake_failures_incoming) +
      "},\"nodes\":[";
  bool first = true;
  for (const auto& [name, entry] : nodes) {
    out += (first ? "" : ",") + node_json(name, entry);
    first = false;
  }
  // The topologies as /status has them: cut out of its body, one source.
  std::string status = status_json(node, ready, {}, topologies);
  out += "]," + status.substr(status.find("\"topologies\":"));
  return out;
}

}  // namespace beamlink::service
