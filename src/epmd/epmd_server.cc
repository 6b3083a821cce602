// The daemon: listeners, the server thread, start/stop/wait. Protocol logic
// lives in request_handler.cc, per-connection I/O in epmd_connection.cc.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "beamlink/epmd.h"
#include "epmd/epmd_connection.h"
#include "epmd/local_peer.h"
#include "epmd/server_context.h"

namespace beamlink::epmd {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

Result<tcp::acceptor> listen_on(asio::io_context& io, const asio::ip::address& address,
                                uint16_t port) {
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(address, port);
  asio::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) {
    asio::error_code option_error;  // best effort
    acceptor.set_option(tcp::acceptor::reuse_address(true), option_error);
    if (address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), option_error);
    acceptor.bind(endpoint, error);
  }
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return fail(Errc::io,
                "cannot listen on " + describe_endpoint(endpoint) + ": " + error.message());
  }
  return acceptor;
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ServerContext& context) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kNoThrow);
    if (context.stopping) co_return;
    if (error) {
      // Out of descriptors and similar: log, back off briefly, keep serving.
      context.log(LogLevel::warning, "accept failed: " + error.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (context.active_connections >= context.config.limits.max_connections) {
      asio::error_code ignored;
      context.log(LogLevel::warning, "refusing connection from " +
                                         describe_endpoint(socket.remote_endpoint(ignored)) +
                                         ": too many connections");
      socket.close(ignored);
      continue;
    }
    ++context.active_connections;
    asio::co_spawn(acceptor.get_executor(),
                   serve_connection(std::move(socket), context, context.next_connection_id++),
                   asio::detached);
  }
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(const ServerOptions& options) {
    context_.config.limits = options.limits;
    context_.config.relaxed_command_check = options.relaxed_command_check;
    context_.logger = options.logger;
    context_.request_stop = [this] { stop_on_server_thread(); };
  }

  ~ServerImpl() override {
    stop();
    wait();
  }

  Result<void> bind(const ServerOptions& options) {
    std::vector<std::string> addresses = options.addresses;
    const bool any_interface = addresses.empty();
    if (any_interface) addresses = {"0.0.0.0", "::"};
    uint16_t port = options.port;
    for (const auto& text : addresses) {
      asio::error_code error;
      const asio::ip::address address = asio::ip::make_address(text, error);
      if (error) return fail(Errc::invalid_argument, "not an IP address: '" + text + "'");
      auto acceptor = listen_on(io_, address, port);
      if (!acceptor) {
        if (any_interface && address.is_v6() && !acceptors_.empty()) continue;  // no IPv6 here
        return std::unexpected(acceptor.error());
      }
      port = acceptor->local_endpoint().port();  // later addresses share an ephemeral port
      acceptors_.push_back(std::move(*acceptor));
    }
    port_ = port;
    context_.config.epmd_port = port;
    return {};
  }

  void run() {
    for (auto& acceptor : acceptors_) {
      context_.log(LogLevel::info, "listening on " + describe_endpoint(acceptor.local_endpoint()));
      asio::co_spawn(io_, accept_loop(acceptor, context_), asio::detached);
    }
    stopped_ = false;
    thread_ = std::thread([this] {
      try {
        io_.run();
      } catch (const std::exception& e) {
        context_.log(LogLevel::warning, std::string("server thread failed: ") + e.what());
      }
      std::lock_guard lock(mutex_);
      stopped_ = true;
      stopped_changed_.notify_all();
    });
  }

  uint16_t port() const override { return port_; }
  std::vector<RegisteredNode> registered() const override { return context_.registry.snapshot(); }

  void stop() override {
    asio::post(io_, [this] { stop_on_server_thread(); });
  }

  void wait() override {
    std::unique_lock lock(mutex_);
    stopped_changed_.wait(lock, [this] { return stopped_; });
    join_locked();
  }

  bool wait_for(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!stopped_changed_.wait_for(lock, timeout, [this] { return stopped_; })) return false;
    join_locked();
    return true;
  }

 private:
  void stop_on_server_thread() {
    if (context_.stopping) return;
    context_.stopping = true;
    asio::error_code ignored;
    for (auto& acceptor : acceptors_) acceptor.close(ignored);
    context_.close_all_connections();
    context_.log(LogLevel::info, "stopped");
  }

  void join_locked() {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

  asio::io_context io_{1};
  ServerContext context_;
  std::vector<tcp::acceptor> acceptors_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable stopped_changed_;
  bool stopped_ = true;  // until run() starts the thread
};

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
  if (options.limits.max_name_length == 0 || options.limits.max_connections == 0) {
    return fail(Errc::invalid_argument, "EPMD server limits must be positive");
  }
  auto server = std::make_unique<ServerImpl>(options);
  if (auto bound = server->bind(options); !bound) return std::unexpected(bound.error());
  server->run();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace beamlink::epmd
