// discovery/http_client.h - the narrow HTTP door the kubernetes strategy
// talks to the API server through. Tests pass a fake; production uses the
// asio + OpenSSL client from make_https_client.
//
// Contract:
//  * Calls block the calling thread (a worker, or the strategy's watch
//    thread), never the strategy thread. Every call is bounded: connect,
//    TLS handshake and the response head by `timeout`; a whole body by
//    `timeout`; a stream by `stream_idle_timeout` between bytes.
//  * Any HTTP status is a successful call (the caller reads `status`);
//    errors are failures to get an answer: Errc::io (connect, TLS, reset),
//    Errc::timeout, Errc::malformed (not HTTP), Errc::limit_exceeded (a
//    body over max_body, a stream line over max_line), Errc::closed (after
//    cancel()).
//  * cancel() aborts every call in flight at once and fails every later
//    one; safe from any thread. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::discovery {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // names as the server wrote them
  std::string body;     // decoded (chunked bodies are joined); a stream's: only for non-2xx
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // `target` is the path with its query ("/api/v1/...?labelSelector=...").
  virtual Result<HttpResponse> request(std::string_view method, std::string_view target,
                                       const HttpHeaders& headers) = 0;

  // A GET whose 2xx body is a stream of lines (a Kubernetes watch): each
  // complete line (without "\n", empty lines skipped) goes to `on_line` as
  // it arrives, until the server ends the body, `on_line` returns false,
  // the stream is idle too long (Errc::timeout) or cancel(). A non-2xx
  // answer is returned whole (body bounded), with no call to `on_line`.
  virtual Result<HttpResponse> stream(
      std::string_view target, const HttpHeaders& headers,
      const std::function<bool(std::string_view line)>& on_line) = 0;

  virtual void cancel() = 0;
};

struct HttpsOptions {
  std::string host;  // DNS name or IP address (IPv6 without brackets)
  uint16_t port = 443;
  // PEM bundle to verify the server against; empty: the system's CAs. The
  // server's name (or IP address) is always checked against its certificate.
  std::string ca_file;
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(10)};
  size_t max_body = 16u << 20;
  size_t max_line = 16u << 20;
};

// Errc::invalid_argument / io when the CA file cannot be loaded.
Result<std::shared_ptr<HttpClient>> make_https_client(const HttpsOptions& options);

}  // namespace beamlink::discovery
