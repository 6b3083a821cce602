// epmd_connection.h - serves one accepted connection of the daemon.
//
// The coroutine owns the socket. It reads one request through a
// RequestFramer, bounded in size (max_request_size) and in time
// (limits.request_timeout), answers it with handle_request and then either
// closes, or - after a successful ALIVE2_REQ - holds the connection open
// until the peer closes it, when the registration is released. Bad input
// closes this connection with a log line and nothing else. No exception
// leaves the coroutine. Runs on the server thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "epmd/server_context.h"

namespace beamlink::epmd {

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, ServerContext& context,
                                       ConnectionId id);

}  // namespace beamlink::epmd
