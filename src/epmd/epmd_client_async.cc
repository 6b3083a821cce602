// The EPMD client's coroutines: one connection, one request, one deadline.
#include <array>
#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "epmd/epmd_async.h"
#include "epmd/epmd_messages.h"
#include "epmd/watchdog.h"

namespace beamlink::epmd {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// Bounds on what a daemon may send back before closing.
constexpr size_t kMaxPort2Response = 2 + 10 + 2 * 65535 + 4;
constexpr size_t kMaxNamesResponse = 4 << 20;

// One client connection under one deadline. Lives in a coroutine frame and
// is never moved, so the watchdog may capture `this`.
class Exchange {
 public:
  Exchange(const asio::any_io_executor& executor, const ClientOptions& options)
      : options_(options),
        resolver_(executor),
        socket_(executor),
        watchdog_(executor, options.timeout, [this] {
          resolver_.cancel();
          asio::error_code ignored;
          socket_.close(ignored);
        }) {}

  tcp::socket& socket() { return socket_; }
  void finish() { watchdog_.disarm(); }

  std::unexpected<Error> failure(std::string_view phase, const asio::error_code& error) const {
    std::string where = "EPMD at " + options_.host + ":" + std::to_string(options_.port) + ": ";
    if (watchdog_.expired()) {
      return fail(Errc::timeout, where + "no answer within " +
                                     std::to_string(options_.timeout.count()) + " ms (" +
                                     std::string(phase) + ")");
    }
    return fail(Errc::io, where + std::string(phase) + ": " + error.message());
  }

  asio::awaitable<Result<void>> connect() {
    std::string host = options_.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    std::vector<tcp::endpoint> endpoints;
    asio::error_code parse_error;
    const asio::ip::address literal = asio::ip::make_address(host, parse_error);
    if (!parse_error) {
      endpoints.emplace_back(literal, options_.port);
    } else {
      auto [error, results] =
          co_await resolver_.async_resolve(host, std::to_string(options_.port), kNoThrow);
      if (error) co_return failure("resolving " + host, error);
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    auto [error, endpoint] = co_await asio::async_connect(socket_, endpoints, kNoThrow);
    if (error) co_return failure("connect", error);
    asio::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    co_return Result<void>{};
  }

  asio::awaitable<Result<void>> send(const Bytes& request) {
    auto [error, written] = co_await asio::async_write(socket_, asio::buffer(request), kNoThrow);
    if (error) co_return failure("sending request", error);
    co_return Result<void>{};
  }

  // Everything the daemon sends until it closes, at most `limit` bytes.
  asio::awaitable<Result<Bytes>> receive_all(size_t limit) {
    Bytes received;
    std::array<uint8_t, 4096> buffer;
    for (;;) {
      auto [error, count] = co_await socket_.async_read_some(asio::buffer(buffer), kNoThrow);
      received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<long>(count));
      if (received.size() > limit) {
        co_return fail(Errc::limit_exceeded,
                       "EPMD answer over " + std::to_string(limit) + " bytes");
      }
      if (error == asio::error::eof) co_return received;
      if (error) co_return failure("reading answer", error);
    }
  }

  // Connect, send, read to the end: the shape of every one-shot request.
  asio::awaitable<Result<Bytes>> round_trip(const Bytes& request, size_t limit) {
    if (auto connected = co_await connect(); !connected)
      co_return std::unexpected(connected.error());
    if (auto sent = co_await send(request); !sent) co_return std::unexpected(sent.error());
    co_return co_await receive_all(limit);
  }

 private:
  ClientOptions options_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  Watchdog watchdog_;
};

}  // namespace

asio::awaitable<Result<NamesReply>> async_names(asio::any_io_executor executor,
                                                ClientOptions options) {
  Exchange exchange(executor, options);
  auto answer = co_await exchange.round_trip(encode_bare_request(NAMES_REQ), kMaxNamesResponse);
  if (!answer) co_return std::unexpected(answer.error());
  co_return parse_names_response(*answer);
}

asio::awaitable<Result<NodeInfo>> async_port_please(asio::any_io_executor executor,
                                                    ClientOptions options, std::string name) {
  auto request = encode_port_please2_request(name);
  if (!request) co_return std::unexpected(request.error());
  Exchange exchange(executor, options);
  auto answer = co_await exchange.round_trip(*request, kMaxPort2Response);
  if (!answer) co_return std::unexpected(answer.error());
  auto node = parse_port2_response(*answer);
  if (!node && node.error().code == Errc::not_found) {
    co_return fail(Errc::not_found, "node '" + name + "' is not registered with EPMD at " +
                                        options.host + ":" + std::to_string(options.port));
  }
  co_return node;
}

asio::awaitable<Result<std::unique_ptr<Registration::Impl>>> async_register_parts(
    asio::any_io_executor executor, ClientOptions options, NodeInfo node) {
  auto request = encode_alive2_request(node);
  if (!request) co_return std::unexpected(request.error());
  Exchange exchange(executor, options);
  if (auto connected = co_await exchange.connect(); !connected) {
    co_return std::unexpected(connected.error());
  }
  if (auto sent = co_await exchange.send(*request); !sent) co_return std::unexpected(sent.error());

  // The connection stays open after the answer, so read exactly the answer.
  Bytes received;
  std::array<uint8_t, 16> buffer;
  for (;;) {
    auto parsed = parse_alive2_response(received);
    if (!parsed) co_return std::unexpected(parsed.error());
    if (*parsed) {
      if ((*parsed)->result != 0) {
        co_return fail(Errc::refused, "EPMD refused to register '" + node.name + "' (result " +
                                          std::to_string((*parsed)->result) + ")");
      }
      exchange.finish();
      auto impl = std::make_unique<Registration::Impl>(std::move(exchange.socket()));
      impl->node = std::move(node);
      impl->creation = (*parsed)->creation;
      co_return impl;
    }
    const size_t wanted = received.empty() ? 1 : (received[0] == ALIVE2_X_RESP ? 6 : 4);
    auto [error, count] = co_await asio::async_read(
        exchange.socket(), asio::buffer(buffer.data(), wanted - received.size()), kNoThrow);
    if (error) co_return exchange.failure("reading ALIVE2 answer", error);
    received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<long>(count));
  }
}

asio::awaitable<Result<Registration>> async_register_node(asio::any_io_executor executor,
                                                          ClientOptions options, NodeInfo node) {
  auto parts =
      co_await async_register_parts(std::move(executor), std::move(options), std::move(node));
  if (!parts) co_return std::unexpected(parts.error());
  co_return Registration(std::move(*parts));
}

asio::awaitable<Result<bool>> async_kill(asio::any_io_executor executor, ClientOptions options) {
  Exchange exchange(executor, options);
  if (auto connected = co_await exchange.connect(); !connected) {
    co_return std::unexpected(connected.error());
  }
  if (auto sent = co_await exchange.send(encode_bare_request(KILL_REQ)); !sent) {
    co_return std::unexpected(sent.error());
  }
  // Real epmd leaves the connection open after "NO", so read just two bytes.
  std::array<char, 2> answer{};
  auto [error, count] =
      co_await asio::async_read(exchange.socket(), asio::buffer(answer), kNoThrow);
  if (error) co_return exchange.failure("reading KILL answer", error);
  const std::string_view text(answer.data(), count);
  if (text == "OK") co_return true;
  if (text == "NO") co_return false;
  co_return fail(Errc::malformed, "KILL_REQ answer '" + std::string(text) + "'");
}

}  // namespace beamlink::epmd
