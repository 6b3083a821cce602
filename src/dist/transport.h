// dist/transport.h - the byte stream under one distribution connection.
//
// The protocol code (handshake I/O, Connection) sees only this interface,
// so a TLS transport can be added later without touching it.
//
// Contract: every member but try_write is called on the connection's
// strand (the executor()), never from two threads at once. At most one
// read_some and one write are outstanding at a time. close() makes outstanding and later
// operations fail with Errc::closed; it is idempotent. Errors are values:
// Errc::closed when the peer closed the stream (or close() was called),
// Errc::io for anything else, with the remote address in the message.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "beamlink/result.h"

namespace beamlink::dist {

class Transport {
 public:
  virtual ~Transport() = default;

  virtual asio::any_io_executor executor() const = 0;
  // Reads what is available (at least one byte) into `buffer`.
  virtual asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buffer) = 0;
  // Writes every byte of `buffers`, gathering them into as few system calls
  // as the operating system allows.
  virtual asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> buffers) = 0;
  // Writes some of `buffers` (at least one byte, as soon as the operating
  // system takes any) and returns how many bytes that was, so a caller can
  // see progress on a slow stream. The default writes them all.
  virtual asio::awaitable<Result<size_t>> write_some(std::span<const asio::const_buffer> buffers) {
    auto written = co_await write(buffers);
    if (!written) co_return std::unexpected(written.error());
    co_return asio::buffer_size(buffers);
  }
  // Writes what the operating system takes at once, without blocking, and
  // returns how many bytes that was (0 when it would block; an error leaves
  // the stream as it was, for write() to report). May be called from any
  // thread, but REQUIRES: no write() outstanding and no close() running
  // (the caller serialises them). The default writes nothing.
  virtual Result<size_t> try_write(std::span<const uint8_t> /*bytes*/) { return size_t{0}; }
  virtual void close() = 0;
  // "127.0.0.1:40123", for logs.
  virtual const std::string& remote() const = 0;
};

// A connected TCP socket as a Transport; sets TCP_NODELAY. `executor` is
// the connection's strand.
std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket socket,
                                              asio::any_io_executor executor);

}  // namespace beamlink::dist
