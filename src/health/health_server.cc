// HealthServer: one thread, one coroutine per connection, bounded in size,
// time and count (see beamlink/health.h).
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "beamlink/health.h"
#include "beamlink/metrics.h"
#include "health/event_stream.h"
#include "health/http_request.h"
#include "health/page_assets.h"
#include "health/sse.h"

namespace beamlink {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kRequestTimeout{2};
constexpr size_t kMaxConnections = 64;

class HealthServerImpl final : public HealthServer {
 public:
  explicit HealthServerImpl(HealthOptions options) : options_(std::move(options)) {}
  ~HealthServerImpl() override { stop(); }

  Result<void> listen() {
    std::error_code ec;
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec)
      return fail(Errc::invalid_argument,
                  "health address '" + options_.address + "': " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(Errc::io, "health endpoint " + options_.address + ":" +
                                std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  uint16_t port() const override { return port_; }

  void publish_event(std::string_view name, std::string_view data) override {
    if (stopped_) return;
    asio::post(io_, [this, event = health::sse_event(name, data)] {
      for (const auto& stream : streams_) stream->push(event);
    });
  }

  // Closes the acceptor and every event stream on the server's thread, so
  // their clients see the end at once, then stops that thread.
  void stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      for (const auto& stream : streams_) stream->close();
      io_.stop();
    });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        continue;  // EMFILE and friends: keep serving
      }
      if (connections_ >= kMaxConnections) {
        std::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), [this](std::exception_ptr) { --connections_; });
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    asio::steady_timer deadline(io_);
    deadline.expires_after(kRequestTimeout);
    bool timed_out = false;
    deadline.async_wait([&](const std::error_code& ec) {
      if (!ec) {
        timed_out = true;
        std::error_code ignored;
        socket.cancel(ignored);
      }
    });
    std::string bytes;
    char buffer[2048];
    std::optional<Result<health::RequestHead>> parsed;
    while (!parsed) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
      if (ec) {
        if (timed_out) co_await reply(socket, 408, "text/plain", "request timeout\n", false);
        deadline.cancel();
        co_return;
      }
      bytes.append(buffer, n);
      parsed = health::parse_request_head(bytes);
    }
    deadline.cancel();
    if (!*parsed) {
      int status = parsed->error().code == Errc::limit_exceeded ? 431 : 400;
      co_await reply(socket, status, "text/plain", parsed->error().message + "\n", false);
      co_return;
    }
    const health::RequestHead& request = **parsed;
    bool head = request.method == "HEAD";
    if (request.method != "GET" && !head) {
      co_await reply(socket, 405, "text/plain", "only GET and HEAD\n", false);
      co_return;
    }
    if (request.path == "/healthz") {
      bool live = !options_.live || options_.live();
      co_await reply(socket, live ? 200 : 503, "text/plain", live ? "ok\n" : "not live\n", head);
    } else if (request.path == "/readyz") {
      bool ready = !options_.ready || options_.ready();
      co_await reply(socket, ready ? 200 : 503, "application/json", status_json(ready), head);
    } else if (request.path == "/status") {
      bool ready = !options_.ready || options_.ready();
      co_await reply(socket, 200, "application/json", status_json(ready), head);
    } else if (request.path == "/metrics" && options_.metrics_text) {
      co_await reply(socket, 200, kMetricsContentType, options_.metrics_text(), head);
    } else if (options_.cluster_json && request.path == "/cluster") {
      co_await reply(socket, 200, "application/json", options_.cluster_json() + "\n", head);
    } else if (options_.cluster_json && request.path == "/events") {
      if (head) {
        co_await reply(socket, 200, "text/event-stream", "", head);
      } else if (streams_.size() >= kMaxEventStreams) {
        co_await reply(socket, 503, "text/plain", "too many event streams\n", false);
      } else {
        co_await stream_events(std::move(socket));
      }
    } else if (auto asset =
                   options_.cluster_json ? health::find_page_asset(request.path) : std::nullopt) {
      co_await reply(socket, 200, asset->content_type, asset->body, head);
    } else {
      co_await reply(socket, 404, "text/plain", not_found_text(), head);
    }
  }

  std::string not_found_text() const {
    std::string out = "not found; try /healthz, /readyz, /status";
    if (options_.metrics_text) out += ", /metrics";
    if (options_.cluster_json) out += ", / (the cluster page), /cluster, /events";
    return out + "\n";
  }

  asio::awaitable<void> stream_events(tcp::socket socket) {
    auto stream = std::make_shared<health::EventStream>(std::move(socket));
    streams_.push_back(stream);
    co_await stream->run(options_.event_heartbeat);
    std::erase(streams_, stream);
  }

  std::string status_json(bool ready) const {
    if (options_.status_json) return options_.status_json() + "\n";
    return std::string("{\"ready\":") + (ready ? "true" : "false") + "}\n";
  }

  asio::awaitable<void> reply(tcp::socket& socket, int status, std::string_view type,
                              std::string_view body, bool head_only) {
    std::string response = health::make_response(status, type, body, head_only);
    asio::steady_timer deadline(io_);
    deadline.expires_after(kRequestTimeout);
    deadline.async_wait([&](const std::error_code& ec) {
      if (!ec) {
        std::error_code ignored;
        socket.cancel(ignored);
      }
    });
    co_await asio::async_write(socket, asio::buffer(response), kNoThrow);
    deadline.cancel();
    std::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  HealthOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  size_t connections_ = 0;
  // The open /events streams; touched only on the server's thread.
  std::vector<std::shared_ptr<health::EventStream>> streams_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HealthServer>> HealthServer::start(HealthOptions options) {
  auto server = std::make_unique<HealthServerImpl>(std::move(options));
  if (auto listening = server->listen(); !listening) return std::unexpected(listening.error());
  return server;
}

}  // namespace beamlink
