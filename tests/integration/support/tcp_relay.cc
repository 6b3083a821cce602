// One io thread; per connection a coroutine that dials the target, then one
// coroutine per direction. Every socket is remembered (weakly) so stop can
// close them all and let the coroutines end before the thread is joined.
// GCC 12 at -O2 reports -Wmismatched-new-delete on asio's awaitable
// frames of the relay coroutines: a false positive (the frame's operator
// new and delete are asio's matched pair). Off for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "integration/support/tcp_relay.h"

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace beamlink::testing {
namespace {

using asio::ip::tcp;
using Socket = std::shared_ptr<tcp::socket>;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

void close(const Socket& socket) {
  std::error_code ignored;
  socket->close(ignored);
}

}  // namespace

class TcpRelay::Impl {
 public:
  ~Impl() { stop(); }

  std::optional<std::string> listen(const tcp::endpoint& endpoint, tcp::endpoint target) {
    target_ = target;
    std::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(64, ec);
    if (ec) {
      return "relay listen on " + endpoint.address().to_string() + ":" +
             std::to_string(endpoint.port()) + ": " + ec.message();
    }
    port_ = acceptor_.local_endpoint().port();
    ++active_;
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });  // inherits this thread's namespace
    return std::nullopt;
  }

  void stop() {
    if (stopped_.exchange(true) || !thread_.joinable()) return;
    asio::post(io_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      for (const auto& weak : sockets_) {
        if (auto socket = weak.lock()) close(socket);
      }
    });
    work_.reset();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (active_ > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    io_.stop();
    thread_.join();
  }

  // Counts a coroutine as running until its frame is gone.
  struct Running {
    std::atomic<int>& count;
    ~Running() { --count; }
  };

  asio::awaitable<void> accept_loop() {
    Running running{active_};
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec || stopped_) co_return;
      ++active_;
      asio::co_spawn(io_, relay(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> relay(Socket client) {
    Running running{active_};
    auto upstream = std::make_shared<tcp::socket>(io_);
    std::erase_if(sockets_, [](const auto& weak) { return weak.expired(); });
    sockets_.push_back(client);
    sockets_.push_back(upstream);
    auto [ec] = co_await upstream->async_connect(target_, kNoThrow);
    if (ec || stopped_) {
      close(client);
      co_return;
    }
    active_ += 2;
    asio::co_spawn(io_, pipe(client, upstream), asio::detached);
    asio::co_spawn(io_, pipe(upstream, client), asio::detached);
  }

  // Copies `from` to `to`; an end of stream is passed on as a half-close.
  asio::awaitable<void> pipe(Socket from, Socket to) {
    Running running{active_};
    std::array<char, 16384> buffer;
    for (;;) {
      auto [ec, n] = co_await from->async_read_some(asio::buffer(buffer), kNoThrow);
      if (n > 0) {
        auto [write_error, written] =
            co_await asio::async_write(*to, asio::buffer(buffer.data(), n), kNoThrow);
        if (write_error) break;
      }
      if (ec == asio::error::eof) {
        std::error_code ignored;
        to->shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) break;
    }
    close(from);
    close(to);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  tcp::endpoint target_;
  std::vector<std::weak_ptr<tcp::socket>> sockets_;  // io thread only
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> active_{0};
  uint16_t port_ = 0;
};

std::expected<std::unique_ptr<TcpRelay>, std::string> TcpRelay::start(
    const std::string& address, uint16_t port, const std::string& target_address,
    uint16_t target_port) {
  std::error_code listen_error;
  std::error_code target_error;
  auto listen_at = asio::ip::make_address(address, listen_error);
  auto target = asio::ip::make_address(target_address, target_error);
  if (listen_error || target_error) {
    return std::unexpected("relay: bad address " + address + " or " + target_address);
  }
  auto impl = std::make_unique<Impl>();
  if (auto error = impl->listen({listen_at, port}, {target, target_port})) {
    return std::unexpected(*error);
  }
  return std::unique_ptr<TcpRelay>(new TcpRelay(std::move(impl)));
}

TcpRelay::TcpRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpRelay::~TcpRelay() = default;

uint16_t TcpRelay::port() const {
  return impl_->port_;
}

}  // namespace beamlink::testing
