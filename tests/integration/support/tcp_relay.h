// tcp_relay.h - a TCP relay for tests: accepts on one address and port and
// pipes each connection to a target address and port, both ways, passing
// half-closes on, until both directions have ended. It lets a test server
// that listens only on 127.0.0.1 (the stand-in Kubernetes API) be reached
// on a namespace's own address, bytes untouched (TLS goes through).
//
// Sockets belong to the network namespace of the thread that calls start():
// the listening socket is opened there and the relay's thread, which opens
// the connections to the target, is started from it. The destructor closes
// every socket and joins the thread. Thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

namespace beamlink::testing {

class TcpRelay {
 public:
  static std::expected<std::unique_ptr<TcpRelay>, std::string> start(
      const std::string& address, uint16_t port, const std::string& target_address,
      uint16_t target_port);
  ~TcpRelay();

  uint16_t port() const;

  class Impl;

 private:
  explicit TcpRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace beamlink::testing
