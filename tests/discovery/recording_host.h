// recording_host.h - a StrategyHost for strategy unit tests: it owns an
// io_context the test runs by hand, runs blocking work inline and records
// everything the strategy reports.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "discovery/strategy.h"

namespace beamlink::discovery {

class RecordingHost final : public StrategyHost {
 public:
  explicit RecordingHost(std::string self = "me@127.0.0.1") : self_(std::move(self)) {}

  asio::io_context& io() override { return io_; }
  const std::string& self() const override { return self_; }
  uint16_t epmd_port() const override { return 0; }
  void publish(std::vector<std::string> nodes) override { published.push_back(std::move(nodes)); }
  void discovery_failed(const Error& error) override { failures.push_back(error.to_string()); }
  void dropped(std::string_view why) override { drops.emplace_back(why); }
  void log(LogLevel level, std::string_view message) override {
    logs.push_back({level, std::string(message)});
  }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }

  // Runs the io_context until `done` or `limit` has passed; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  // How many log lines at `level` contain `text`.
  size_t logged(LogLevel level, std::string_view text) const {
    size_t n = 0;
    for (const auto& [l, message] : logs) {
      if (l == level && message.find(text) != std::string::npos) ++n;
    }
    return n;
  }

  std::vector<std::vector<std::string>> published;
  std::vector<std::string> failures;
  std::vector<std::string> drops;
  std::vector<std::pair<LogLevel, std::string>> logs;

 private:
  asio::io_context io_;
  std::string self_;
};

}  // namespace beamlink::discovery
