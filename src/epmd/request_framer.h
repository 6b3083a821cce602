// request_framer.h - splits a byte stream into EPMD requests.
//
// Each request is a 2-byte big-endian length, then that many bytes. Bytes
// may arrive in any pieces: one request over many reads, several requests in
// one read. The framer checks the declared length against its bound before
// buffering the body, so an oversized request costs at most two bytes of
// memory before it is refused. Not thread-safe; one framer per connection.
#pragma once

#include <cstddef>
#include <optional>

#include "beamlink/result.h"
#include "epmd/wire_bytes.h"

namespace beamlink::epmd {

class RequestFramer {
 public:
  explicit RequestFramer(size_t max_request_size) : max_request_size_(max_request_size) {}

  void append(ByteSpan bytes);

  // The next complete request (code byte first, no length prefix), nullopt
  // when more bytes are needed. Errc::limit_exceeded for a declared length
  // over the bound, Errc::malformed for a zero length. After an error the
  // framer stays failed: the stream cannot be resynchronised.
  Result<std::optional<Bytes>> next();

  // Bytes received but not yet returned by next().
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  size_t max_request_size_;
  Bytes buffer_;
  size_t consumed_ = 0;
  std::optional<Error> failed_;
};

}  // namespace beamlink::epmd
