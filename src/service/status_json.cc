#include "service/status_json.h"

#include "service/json_string.h"

namespace beamlink::service {
namespace {

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_string(items[i]);
  return out + "]";
}

}  // namespace

std::string status_json(const std::string& node, bool ready, const std::vector<std::string>& peers,
                        const std::vector<TopologyStatus>& topologies) {
  std::string out = "{\"node\":" + json_string(node) + ",\"ready\":" + (ready ? "true" : "false") +
                    ",\"peers\":" + json_array(peers) + ",\"topologies\":[";
  for (size_t i = 0; i < topologies.size(); ++i) {
    const auto& t = topologies[i];
    out += (i ? ",{" : "{");
    out += "\"name\":" + json_string(t.name) + ",\"strategy\":" + json_string(t.strategy);
    out += ",\"desired\":" + json_array(t.desired);
    out += ",\"connects\":" + std::to_string(t.connects) +
           ",\"connect_failures\":" + std::to_string(t.connect_failures) +
           ",\"disconnects\":" + std::to_string(t.disconnects) +
           ",\"discovery_errors\":" + std::to_string(t.discovery_errors) +
           ",\"dropped_packets\":" + std::to_string(t.dropped_packets) +
           ",\"last_error\":" + json_string(t.last_error) + "}";
  }
  return out + "]}";
}

}  // namespace beamlink::service
