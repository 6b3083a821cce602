// The asio + OpenSSL HttpClient: one connection per call (Connection:
// close), each on a private io_context run by the calling thread, with a
// watchdog timer beside the exchange. cancel() stops every private
// io_context in flight.
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <mutex>
#include <set>

#include "discovery/http_client.h"
#include "discovery/http_wire.h"

namespace beamlink::discovery {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// A non-2xx answer to a stream is an error description, not data.
constexpr size_t kMaxErrorBody = 64 * 1024;

bool is_ip_literal(const std::string& host) {
  std::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The state of one call; its coroutines hold references to it.
struct Call {
  Call(asio::io_context& io, asio::ssl::context& tls)
      : resolver(io), stream(io, tls), watchdog(io) {}

  tcp::resolver resolver;
  asio::ssl::stream<tcp::socket> stream;
  asio::steady_timer watchdog;
  Clock::time_point deadline;
  bool timed_out = false;
  bool finished = false;
  Result<HttpResponse> result = fail(Errc::closed, "HTTP call cancelled");
};

class HttpsClient final : public HttpClient {
 public:
  HttpsClient(HttpsOptions options, std::unique_ptr<asio::ssl::context> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {
    bool ipv6 = options_.host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + options_.host + "]" : options_.host;
    host_header_ = options_.port == 443 ? host : host + ":" + std::to_string(options_.port);
    where_ = "https://" + host + ":" + std::to_string(options_.port);
  }

  Result<HttpResponse> request(std::string_view method, std::string_view target,
                               const HttpHeaders& headers) override {
    return run(method, target, headers, nullptr);
  }

  Result<HttpResponse> stream(std::string_view target, const HttpHeaders& headers,
                              const std::function<bool(std::string_view)>& on_line) override {
    return run("GET", target, headers, &on_line);
  }

  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (asio::io_context* io : active_) io->stop();
  }

 private:
  using LineHandler = std::function<bool(std::string_view)>;

  Result<HttpResponse> run(std::string_view method, std::string_view target,
                           const HttpHeaders& headers, const LineHandler* on_line) {
    asio::io_context io;
    Call call(io, *tls_);
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return fail(Errc::closed, "HTTP client cancelled");
      active_.insert(&io);
    }
    std::string request = http::format_request(method, host_header_, target, headers);
    call.deadline = Clock::now() + options_.timeout;
    asio::co_spawn(io, watch(call), asio::detached);
    asio::co_spawn(io, exchange(call, std::move(request), on_line),
                   [&call](std::exception_ptr failure) {
                     if (failure) call.result = fail(Errc::io, "HTTP client: internal error");
                   });
    io.run();
    {
      std::lock_guard lock(mutex_);
      active_.erase(&io);
    }
    if (!call.result) {
      call.result.error().message = where_ + std::string(target.substr(0, target.find('?'))) +
                                    ": " + call.result.error().message;
    }
    return std::move(call.result);
  }

  // Closes the connection when the deadline passes; the exchange moves the
  // deadline as it goes.
  static asio::awaitable<void> watch(Call& call) {
    while (!call.finished) {
      if (Clock::now() >= call.deadline) {
        call.timed_out = true;
        std::error_code ignored;
        call.stream.lowest_layer().close(ignored);
        call.resolver.cancel();
        co_return;
      }
      call.watchdog.expires_at(call.deadline);
      co_await call.watchdog.async_wait(kNoThrow);
    }
  }

  Error io_error(const Call& call, std::string_view phase, const std::error_code& ec) const {
    if (call.timed_out) {
      return Error{Errc::timeout, std::string(phase) + ": no answer within " +
                                      std::to_string(options_.timeout.count()) + " ms"};
    }
    return Error{Errc::io, std::string(phase) + ": " + ec.message()};
  }

  asio::awaitable<void> exchange(Call& call, std::string request, const LineHandler* on_line) {
    call.result = co_await talk(call, std::move(request), on_line);
    call.finished = true;
    call.watchdog.cancel();
  }

  asio::awaitable<Result<HttpResponse>> talk(Call& call, std::string request,
                                             const LineHandler* on_line) {
    auto [resolve_error, endpoints] = co_await call.resolver.async_resolve(
        options_.host, std::to_string(options_.port), kNoThrow);
    if (resolve_error) co_return std::unexpected(io_error(call, "resolving", resolve_error));
    auto [connect_error, endpoint] =
        co_await asio::async_connect(call.stream.lowest_layer(), endpoints, kNoThrow);
    if (connect_error) co_return std::unexpected(io_error(call, "connecting", connect_error));

    if (!is_ip_literal(options_.host)) {
      SSL_set_tlsext_host_name(call.stream.native_handle(), options_.host.c_str());
    }
    call.stream.set_verify_mode(asio::ssl::verify_peer);
    call.stream.set_verify_callback(asio::ssl::host_name_verification(options_.host));
    auto [handshake_error] =
        co_await call.stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (handshake_error) {
      co_return std::unexpected(io_error(call, "TLS handshake", handshake_error));
    }
    auto [write_error, written] =
        co_await asio::async_write(call.stream, asio::buffer(request), kNoThrow);
    if (write_error) co_return std::unexpected(io_error(call, "sending", write_error));

    std::string buffer;
    std::array<char, 16384> chunk;
    std::optional<http::ResponseHead> head;
    while (!head) {
      auto [read_error, n] = co_await call.stream.async_read_some(asio::buffer(chunk), kNoThrow);
      if (read_error) co_return std::unexpected(io_error(call, "reading the answer", read_error));
      buffer.append(chunk.data(), n);
      auto parsed = http::parse_response_head(buffer);
      if (!parsed) continue;
      if (!*parsed) co_return std::unexpected(parsed->error());
      head = std::move(**parsed);
    }
    HttpResponse response;
    response.status = head->status;
    response.reason = head->reason;
    response.headers = head->headers;
    buffer.erase(0, head->size);

    bool streaming = on_line != nullptr && head->status / 100 == 2;
    size_t limit = on_line != nullptr ? kMaxErrorBody : options_.max_body;
    if (head->content_length && *head->content_length > limit && !streaming) {
      co_return fail(Errc::limit_exceeded, "an answer of " + std::to_string(*head->content_length) +
                                               " bytes, over the limit of " +
                                               std::to_string(limit));
    }
    http::ChunkedDecoder chunked;
    http::LineSplitter lines(options_.max_line);
    size_t raw_left = head->content_length.value_or(0);
    std::string decoded;
    // Decodes `data` (bytes of the body) into `response.body` or the lines.
    // Returns whether the body is complete (or the caller stopped).
    auto consume = [&](std::string_view data) -> Result<bool> {
      decoded.clear();
      if (head->chunked) {
        if (auto fed = chunked.feed(data, decoded); !fed) return std::unexpected(fed.error());
      } else if (head->content_length) {
        size_t take = std::min(raw_left, data.size());
        decoded.assign(data.substr(0, take));
        raw_left -= take;
      } else {
        decoded.assign(data);
      }
      bool complete = head->chunked ? chunked.done() : head->content_length && raw_left == 0;
      if (streaming) {
        auto more = lines.feed(decoded, *on_line);
        if (!more) return std::unexpected(more.error());
        return complete || !*more;
      }
      if (response.body.size() + decoded.size() > limit) {
        return fail(Errc::limit_exceeded,
                    "an answer over the limit of " + std::to_string(limit) + " bytes");
      }
      response.body.append(decoded);
      return complete;
    };
    auto complete = consume(buffer);
    if (!complete) co_return std::unexpected(complete.error());
    while (!*complete) {
      if (streaming) call.deadline = Clock::now() + options_.stream_idle_timeout;
      auto [read_error, n] = co_await call.stream.async_read_some(asio::buffer(chunk), kNoThrow);
      bool eof = read_error == asio::error::eof || read_error == asio::ssl::error::stream_truncated;
      if (eof && !head->chunked && !head->content_length) break;  // the body ends at close
      if (read_error) {
        if (call.timed_out && streaming) {
          co_return fail(
              Errc::timeout,
              "stream idle for " + std::to_string(options_.stream_idle_timeout.count()) + " ms");
        }
        co_return std::unexpected(io_error(call, "reading the body", read_error));
      }
      complete = consume(std::string_view(chunk.data(), n));
      if (!complete) co_return std::unexpected(complete.error());
    }
    std::error_code ignored;
    call.stream.lowest_layer().close(ignored);
    co_return response;
  }

  HttpsOptions options_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::string host_header_;
  std::string where_;
  std::mutex mutex_;
  std::set<asio::io_context*> active_;
  bool cancelled_ = false;
};

}  // namespace

Result<std::shared_ptr<HttpClient>> make_https_client(const HttpsOptions& options) {
  if (options.host.empty()) return fail(Errc::invalid_argument, "HTTPS client: no host");
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  std::error_code ec;
  if (options.ca_file.empty()) {
    tls->set_default_verify_paths(ec);
  } else {
    tls->load_verify_file(options.ca_file, ec);
  }
  if (ec) {
    return fail(Errc::invalid_argument,
                "HTTPS client: cannot load CA certificates" +
                    (options.ca_file.empty() ? std::string() : " from " + options.ca_file) + ": " +
                    ec.message());
  }
  return std::make_shared<HttpsClient>(options, std::move(tls));
}

}  // namespace beamlink::discovery
