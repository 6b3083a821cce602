#include "integration/support/node_status.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace beamlink::testing {
namespace {

// The whole HTTP answer, or "" on any failure or after `timeout`.
std::string http_get(uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd ready{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) != 1) {
        reply.clear();
        break;
      }
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;  // the server closes after one answer
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

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
  std::string reply = http_get(port, "/status", timeout);
  size_t body = reply.find("\r\n\r\n");
  if (!reply.starts_with("HTTP/1.1 200") || body == std::string::npos) return std::nullopt;
  NodeStatus status;
  status.json = reply.substr(body + 4);
  status.peers = strings_after(status.json, "\"peers\":");
  status.desired = strings_after(status.json, "\"desired\":");
  status.disconnects = number_after(status.json, "\"disconnects\":");
  status.discovery_errors = number_after(status.json, "\"discovery_errors\":");
  status.last_error = string_after(status.json, "\"last_error\":");
  return status;
}

}  // namespace beamlink::testing
