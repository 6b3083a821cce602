// tests/health/stream_client.h - a blocking HTTP client for the tests of
// the health endpoint: one request, its answer read in pieces (an event
// stream does not end), each read bounded by a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace beamlink::testing {

using namespace std::chrono_literals;

// A blocking client of one request whose answer is read in pieces, each
// read bounded by a deadline.
class Client {
 public:
  Client(uint16_t port, const std::string& request, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      (void)::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Reads until what arrived holds `text` (true), or EOF or `limit` (false).
  bool read_until(const std::string& text, std::chrono::steady_clock::duration limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (received_.find(text, scanned_) == std::string::npos) {
      if (!read_some(deadline)) return false;
    }
    scanned_ = received_.find(text, scanned_) + text.size();
    return true;
  }
  // Reads until the server closes (true) or `limit` passes (false).
  bool read_to_eof(std::chrono::steady_clock::duration limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_some(deadline)) {
    }
    return eof_;
  }
  const std::string& received() const { return received_; }
  size_t received_bytes() const { return total_; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    total_ += static_cast<size_t>(n);
    if (received_.size() < (1u << 20)) received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string received_;
  size_t scanned_ = 0;
  size_t total_ = 0;
  bool eof_ = false;
};

}  // namespace beamlink::testing
