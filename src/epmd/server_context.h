// server_context.h - the state one EPMD daemon shares with its connections.
//
// Everything except `registry` is touched only on the server thread, so it
// needs no lock; the registry locks itself because Server::registered() reads
// it from other threads.
#pragma once

#include <asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <string_view>

#include "beamlink/epmd.h"
#include "epmd/node_registry.h"
#include "epmd/request_handler.h"

namespace beamlink::epmd {

struct ServerContext {
  NodeRegistry registry;
  HandlerConfig config;
  Logger logger;
  std::function<void()> request_stop;  // stops the server; server thread only

  bool stopping = false;
  ConnectionId next_connection_id = 1;
  size_t active_connections = 0;  // counted from accept to the end of serve_connection
  std::map<ConnectionId, asio::ip::tcp::socket*> connections;  // open, by id

  void log(LogLevel level, std::string_view message) const {
    if (!logger) return;
    try {
      logger(level, "epmd", message);
    } catch (...) {
      // A throwing logger must not take the server down.
    }
  }

  void close_connection(ConnectionId id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    asio::error_code ignored;
    it->second->close(ignored);
  }

  void close_all_connections() {
    asio::error_code ignored;
    for (auto& [id, socket] : connections) socket->close(ignored);
  }
};

}  // namespace beamlink::epmd
