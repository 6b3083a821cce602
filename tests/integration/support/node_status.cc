#include "integration/support/node_status.h"

#include <algorithm>

#include "integration/support/http_get.h"

namespace beamlink::testing {
namespace {

// The strings of the JSON array that follows `key` ("\"peers\":"), sorted.
// Node names hold no quotes or escapes.
std::vector<std::string> strings_after(const std::string& json, const std::string& key) {
  std::vector<std::string> items;
  size_t at = json.find(key + "[");
  if (at == std::string::npos) return items;
  size_t end = json.find(']', at);
  for (size_t open = json.find('"', at + key.size()); open < end; open = json.find('"', open + 1)) {
    size_t close = json.find('"', open + 1);
    items.push_back(json.substr(open + 1, close - open - 1));
    open = close;
  }
  std::sort(items.begin(), items.end());
  return items;
}

uint64_t number_after(const std::string& json, const std::string& key) {
  size_t at = json.find(key);
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + key.size()));
}

// A JSON string's text, escapes kept as written.
std::string string_after(const std::string& json, const std::string& key) {
  size_t at = json.find(key + "\"");
  if (at == std::string::npos) return "";
  size_t start = at + key.size() + 1;
  size_t end = start;
  while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
  return json.substr(start, end - start);
}

}  // namespace

std::optional<NodeStatus> node_status(uint16_t port, std::chrono::milliseconds timeout) {
  auto reply = http_get("127.0.0.1", port, "/status", timeout);
  if (!reply || reply->status != 200) return std::nullopt;
  NodeStatus status;
  status.json = reply->body;
  status.peers = strings_after(status.json, "\"peers\":");
  status.desired = strings_after(status.json, "\"desired\":");
  status.disconnects = number_after(status.json, "\"disconnects\":");
  status.discovery_errors = number_after(status.json, "\"discovery_errors\":");
  status.last_error = string_after(status.json, "\"last_error\":");
  return status;
}

}  // namespace beamlink::testing
