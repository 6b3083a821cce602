// http_get.h - one HTTP/1.0 GET over loopback, as a probe or a human with
// curl would make it, bounded in time. For the health, /metrics and
// Prometheus API answers the tests read. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace beamlink::testing {

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// The whole raw answer, or "" on any failure or after `timeout`.
std::string http_get_raw(const std::string& address, uint16_t port, const std::string& target,
                         std::chrono::milliseconds timeout);

// The answer split into status, head and body; nullopt when there was none.
std::optional<HttpReply> http_get(const std::string& address, uint16_t port,
                                  const std::string& target,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace beamlink::testing
