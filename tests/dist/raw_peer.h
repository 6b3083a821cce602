// raw_peer.h - a hand-driven distribution peer for tests: a blocking TCP
// socket that runs the initiator handshake with beamlink's own state
// machine, then writes whatever bytes a test wants (garbage, nothing at
// all) and reads with a deadline. Binds and dials 127.0.0.1 only.
#pragma once

#include <poll.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "dist/flags.h"
#include "dist/handshake.h"

namespace beamlink::dist::testing {

class RawPeer {
 public:
  explicit RawPeer(uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  // Runs the handshake as `name` towards `target`. Returns "" or the error.
  std::string handshake(const std::string& name, const std::string& cookie,
                        const std::string& target) {
    HandshakeConfig config;
    config.node_name = name;
    config.cookie = cookie;
    config.flags = advertised_flags(false);
    config.creation = 17;
    config.challenge = 0x12345678;
    auto machine = Handshake::initiator(config, target);
    auto step = machine.start();
    for (;;) {
      for (const auto& frame : step.send) write(frame);
      if (step.state == HandshakeStep::State::done) return "";
      if (step.state == HandshakeStep::State::failed) return step.error.message;
      uint8_t length[2];
      asio::error_code error;
      asio::read(socket_, asio::buffer(length), error);
      if (error) return "read: " + error.message();
      std::vector<uint8_t> body(size_t{length[0]} << 8 | length[1]);
      asio::read(socket_, asio::buffer(body), error);
      if (error) return "read: " + error.message();
      step = machine.receive(body);
    }
  }

  void write(const std::vector<uint8_t>& bytes) {
    asio::error_code ignored;
    asio::write(socket_, asio::buffer(bytes), ignored);
  }

  // Reads for up to `limit`; returns the bytes and whether the peer closed.
  std::pair<std::vector<uint8_t>, bool> read_for(std::chrono::milliseconds limit) {
    std::vector<uint8_t> got;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {got, false};
      pollfd fd{socket_.native_handle(), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      uint8_t buffer[65536];
      asio::error_code error;
      const size_t count = socket_.read_some(asio::buffer(buffer), error);
      got.insert(got.end(), buffer, buffer + count);
      if (error) return {got, true};
    }
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

}  // namespace beamlink::dist::testing
