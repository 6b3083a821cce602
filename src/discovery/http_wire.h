// discovery/http_wire.h - HTTP/1.1 client framing, pure and bounded: the
// request bytes, the response head, chunked transfer decoding and line
// splitting. No sockets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "beamlink/result.h"
#include "discovery/http_client.h"

namespace beamlink::discovery::http {

inline constexpr size_t kMaxResponseHead = 64 * 1024;

// "GET /x HTTP/1.1\r\nHost: h\r\n...Connection: close\r\n\r\n". `host` is
// the Host header value (with the port when it is not the default).
std::string format_request(std::string_view method, std::string_view host, std::string_view target,
                           const HttpHeaders& headers);

struct ResponseHead {
  int status = 0;
  std::string reason;
  HttpHeaders headers;
  size_t size = 0;  // bytes up to and including the blank line
  std::optional<size_t> content_length;
  bool chunked = false;
};

// nullopt: incomplete, read more. Errc::malformed for a bad status line or
// header; Errc::limit_exceeded past max_bytes without the blank line.
std::optional<Result<ResponseHead>> parse_response_head(std::string_view bytes,
                                                        size_t max_bytes = kMaxResponseHead);

// Decodes "Transfer-Encoding: chunked" incrementally: feed() any split of
// the input; decoded data is appended to `out`. Chunk extensions are
// skipped, trailers read and dropped.
class ChunkedDecoder {
 public:
  Result<void> feed(std::string_view in, std::string& out);
  bool done() const { return state_ == State::done; }

 private:
  enum class State { size, data, data_end, trailer, done };
  State state_ = State::size;
  std::string line_;  // the size or trailer line read so far
  size_t remaining_ = 0;
};

// Splits a byte stream into '\n'-ended lines (a "\r" before it is dropped,
// empty lines skipped). Errc::limit_exceeded when a line passes max_line.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}
  // Appends `data`; calls on_line for each whole line; stops (false) when
  // on_line returns false.
  Result<bool> feed(std::string_view data, const std::function<bool(std::string_view)>& on_line);

 private:
  size_t max_line_;
  std::string pending_;
};

}  // namespace beamlink::discovery::http
