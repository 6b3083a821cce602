// beamlink/result.h - the error value every fallible beamlink call returns.
//
// Contract: no beamlink function throws across a module boundary. A call that
// can fail returns Result<T>; on failure the Error says what failed and where
// (for the ETF decoder: tag and byte offset; for EPMD: peer and request).
// Error and Result are plain values, safe to copy between threads.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace beamlink {

enum class Errc {
  invalid_argument,  // the caller passed something unusable
  malformed,         // bytes from outside do not follow the format
  limit_exceeded,    // input is well formed but over a configured bound
  unsupported,       // well formed, but a feature beamlink does not handle
  io,                // an operating-system or socket call failed
  timeout,           // a bounded wait ran out
  not_found,         // the named thing does not exist
  refused,           // the peer said no
  closed,            // the peer or the object is gone
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::invalid_argument;
  std::string message;

  // "malformed: ETF tag 104 at offset 12: ..." - for logs and CLI output.
  std::string to_string() const;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for `return fail(Errc::..., "...")` inside a Result-returning
// function.
inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace beamlink
