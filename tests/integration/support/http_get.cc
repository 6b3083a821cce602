#include "integration/support/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace beamlink::testing {

std::string http_get_raw(const std::string& address, uint16_t port, const std::string& target,
                         std::chrono::milliseconds timeout) {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &peer.sin_addr) != 1) return "";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  std::string reply;
  std::string request = "GET " + target + " HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0 &&
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
      if (n <= 0) break;  // HTTP/1.0: the server closes after one answer
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

std::optional<HttpReply> http_get(const std::string& address, uint16_t port,
                                  const std::string& target, std::chrono::milliseconds timeout) {
  std::string raw = http_get_raw(address, port, target, timeout);
  size_t body = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || raw.size() < 12 || body == std::string::npos) {
    return std::nullopt;
  }
  HttpReply reply;
  reply.status = std::atoi(raw.c_str() + 9);
  reply.head = raw.substr(0, body);
  reply.body = raw.substr(body + 4);
  return reply;
}

}  // namespace beamlink::testing
