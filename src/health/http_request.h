// health/http_request.h - the request head of HTTP/1.x, pure and bounded.
//
// parse_request_head() is given the bytes received so far; it answers
// "need more", a parsed head, or an error (malformed, or over max_bytes
// before the blank line). Only what a probe endpoint needs: method, target
// path (query dropped) and version; headers are checked for shape and
// skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "beamlink/result.h"

namespace beamlink::health {

struct RequestHead {
  std::string method;
  std::string path;     // without the query
  std::string version;  // "HTTP/1.1"
};

constexpr size_t kMaxRequestHead = 8192;

// nullopt: incomplete, read more. Errc::limit_exceeded when `bytes` holds
// more than `max_bytes` without the end of the head; Errc::malformed for a
// bad request line or header line.
std::optional<Result<RequestHead>> parse_request_head(std::string_view bytes,
                                                      size_t max_bytes = kMaxRequestHead);

// "HTTP/1.1 200 OK\r\n..." with Content-Type, Content-Length and
// Connection: close; `head_only` leaves the body out (HEAD).
std::string make_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only);

}  // namespace beamlink::health
