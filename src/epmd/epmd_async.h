// epmd_async.h - the EPMD client as coroutines on a caller's executor.
//
// The blocking calls in beamlink/epmd.h run these on a private io_context;
// the node runtime co_awaits them on its own. Each call is bounded by
// options.timeout (resolve, connect and the exchange together) through a
// Watchdog, and reports failures as Result values - they never throw.
// REQUIRES: the executor runs one handler at a time (an io_context with one
// thread, or a strand); see watchdog.h.
//
// async_register_node's Registration keeps its socket on `executor`, which
// must outlive it; close or destroy it on that executor's thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <string_view>

#include "beamlink/epmd.h"

namespace beamlink::epmd {

asio::awaitable<Result<NamesReply>> async_names(asio::any_io_executor executor,
                                                ClientOptions options);
asio::awaitable<Result<NodeInfo>> async_port_please(asio::any_io_executor executor,
                                                    ClientOptions options, std::string name);
asio::awaitable<Result<Registration>> async_register_node(asio::any_io_executor executor,
                                                          ClientOptions options, NodeInfo node);
// The registration's parts, before they become a Registration (the blocking
// form adds its io_context to them first).
asio::awaitable<Result<std::unique_ptr<Registration::Impl>>> async_register_parts(
    asio::any_io_executor executor, ClientOptions options, NodeInfo node);
asio::awaitable<Result<bool>> async_kill(asio::any_io_executor executor, ClientOptions options);

// What a Registration holds. Members are destroyed bottom-up: the socket
// before the io_context it may belong to.
struct Registration::Impl {
  std::unique_ptr<asio::io_context> owned_io;  // set by the blocking register_node
  asio::ip::tcp::socket socket;
  NodeInfo node;
  uint32_t creation = 0;

  explicit Impl(asio::ip::tcp::socket connected) : socket(std::move(connected)) {}
};

}  // namespace beamlink::epmd
