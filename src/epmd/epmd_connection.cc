#include "epmd/epmd_connection.h"

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

#include "epmd/local_peer.h"
#include "epmd/request_framer.h"
#include "epmd/watchdog.h"

namespace beamlink::epmd {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

PeerInfo peer_of(const tcp::socket& socket) {
  asio::error_code remote_error;
  asio::error_code local_error;
  const tcp::endpoint remote = socket.remote_endpoint(remote_error);
  const tcp::endpoint local = socket.local_endpoint(local_error);
  if (remote_error || local_error) return PeerInfo{"unknown peer", false};
  return PeerInfo{describe_endpoint(remote), is_local_peer(remote.address(), local.address())};
}

// Reads until one whole request is framed. nullopt when the connection
// ended, failed or sent something unacceptable (already logged).
asio::awaitable<std::optional<Bytes>> read_request(tcp::socket& socket, ServerContext& context,
                                                   const PeerInfo& peer, const Watchdog& watchdog) {
  RequestFramer framer(max_request_size(context.config.limits));
  std::array<uint8_t, 512> buffer;
  for (;;) {
    auto request = framer.next();
    if (!request) {
      context.log(LogLevel::warning,
                  "closing " + peer.description + ": " + request.error().to_string());
      co_return std::nullopt;
    }
    if (*request) co_return std::move(**request);
    auto [error, count] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
    if (error) {
      if (watchdog.expired()) {
        context.log(LogLevel::warning,
                    "closing " + peer.description + ": no whole request within " +
                        std::to_string(context.config.limits.request_timeout.count()) + " ms");
      } else if (error != asio::error::eof && !context.stopping) {
        context.log(LogLevel::debug, peer.description + ": " + error.message());
      }
      co_return std::nullopt;
    }
    framer.append(ByteSpan(buffer.data(), count));
  }
}

// After ALIVE2: the registration lasts until the peer closes. Anything the
// peer sends meanwhile is ignored, as real epmd does.
asio::awaitable<void> hold_until_closed(tcp::socket& socket) {
  std::array<uint8_t, 256> buffer;
  for (;;) {
    auto [error, count] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
    if (error) co_return;
  }
}

asio::awaitable<void> serve(tcp::socket& socket, ServerContext& context, ConnectionId id,
                            const PeerInfo& peer) {
  Watchdog watchdog(socket.get_executor(), context.config.limits.request_timeout, [&socket] {
    asio::error_code ignored;
    socket.close(ignored);
  });
  auto request = co_await read_request(socket, context, peer, watchdog);
  if (!request) co_return;

  Outcome outcome = handle_request(*request, peer, id, context.registry, context.config);
  if (!outcome.log.empty()) context.log(outcome.level, outcome.log);
  if (outcome.close_connection) context.close_connection(*outcome.close_connection);
  if (!outcome.reply.empty()) {
    auto [error, written] =
        co_await asio::async_write(socket, asio::buffer(outcome.reply), kNoThrow);
    if (error) co_return;
  }
  watchdog.disarm();
  switch (outcome.after) {
    case AfterReply::close:
      break;
    case AfterReply::stop_server:
      if (context.request_stop) context.request_stop();
      break;
    case AfterReply::hold_registration:
      co_await hold_until_closed(socket);
      break;
  }
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, ServerContext& context,
                                       ConnectionId id) {
  const PeerInfo peer = peer_of(socket);
  context.connections.emplace(id, &socket);
  asio::error_code ignored;
  if (context.stopping) socket.close(ignored);
  try {
    co_await serve(socket, context, id, peer);
  } catch (const std::exception& e) {
    context.log(LogLevel::warning, "connection " + peer.description + " failed: " + e.what());
  } catch (...) {
    context.log(LogLevel::warning, "connection " + peer.description + " failed");
  }
  context.connections.erase(id);
  if (auto name = context.registry.release(id)) {
    context.log(LogLevel::info, "unregistered '" + *name + "' (" + peer.description + " closed)");
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  --context.active_connections;
}

}  // namespace beamlink::epmd
