#include "integration/support/test_env.h"

#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <thread>

namespace beamlink::testing {

uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

std::string unique_node_name(std::string_view tag) {
  return "bl_" + std::to_string(getpid()) + "_" + std::string(tag);
}

bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds limit) {
  for (auto deadline = std::chrono::steady_clock::now() + limit;
       std::chrono::steady_clock::now() < deadline;) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

}  // namespace beamlink::testing
