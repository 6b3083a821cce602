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
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "dist/flags.h"
#include "dist/handshake.h"

namespace beamlink::dist::testing {

class RawPeer {
 public:
  // `receive_buffer` > 0 fixes SO_RCVBUF (no autotuning), so a test knows
  // how much a peer that does not read can hold.
  explicit RawPeer(uint16_t port, int receive_buffer = 0) : socket_(io_) {
    if (receive_buffer > 0) {
      socket_.open(asio::ip::tcp::v4());
      socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  // Runs the handshake as `name` towards `target`, announcing `flags`.
  // Returns "" or the error.
  std::string handshake(const std::string& name, const std::string& cookie,
                        const std::string& target, uint64_t flags = advertised_flags(false)) {
    HandshakeConfig config;
    config.node_name = name;
    config.cookie = cookie;
    config.flags = flags;
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

  // The first message frame (ticks skipped) that arrives within about 5 s:
  // its control message and payload (if any), or nullopt.
  struct Message {
    Term control;
    std::optional<Term> payload;
  };
  std::optional<Message> next_message() {
    for (int round = 0; round < 25; ++round) {
      auto [bytes, closed] = read_for(std::chrono::milliseconds(200));
      pending_.insert(pending_.end(), bytes.begin(), bytes.end());
      while (pending_.size() >= 4) {
        const size_t length = size_t{pending_[0]} << 24 | size_t{pending_[1]} << 16 |
                              size_t{pending_[2]} << 8 | pending_[3];
        if (pending_.size() < 4 + length) break;
        std::vector<uint8_t> frame(pending_.begin() + 4, pending_.begin() + 4 + length);
        pending_.erase(pending_.begin(), pending_.begin() + 4 + length);
        // A pass-through frame (112, 131, control) or a distribution header
        // without atom cache references (131, 68, 0, control).
        size_t at = 0;
        if (length >= 2 && frame[0] == 112 && frame[1] == 131) {
          at = 2;
        } else if (length >= 3 && frame[0] == 131 && frame[1] == 68 && frame[2] == 0) {
          at = 3;
        } else {
          continue;  // a tick, or a header this reader does not parse
        }
        auto control = etf::decode_one(std::span(frame).subspan(at));
        if (!control) return std::nullopt;
        Message message{control->term, std::nullopt};
        // The payload: after a version byte in a pass-through frame, straight
        // after the control message behind a distribution header.
        at += control->consumed;
        if (at < frame.size() && frame[at] == 131) ++at;
        if (at < frame.size()) {
          auto payload = etf::decode_one(std::span(frame).subspan(at));
          if (payload) message.payload = payload->term;
        }
        return message;
      }
      if (closed) break;
    }
    return std::nullopt;
  }

  // The control message of next_message(), or nullopt.
  std::optional<Term> next_control() {
    auto message = next_message();
    if (!message) return std::nullopt;
    return message->control;
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
  std::vector<uint8_t> pending_;  // read by next_control, not yet a whole frame
};

}  // namespace beamlink::dist::testing
