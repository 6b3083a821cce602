// health/event_stream.h - one open GET /events answer of the health
// server: a socket, the events not yet written, and a writer coroutine.
//
// Contract: everything runs on the health server's one thread, so there is
// no lock. push() never waits: it queues, or, when the queue would pass
// kMaxQueuedEventBytes, closes the stream (a client that falls behind is
// dropped, never allowed to hold memory). run() writes what is queued, a
// heartbeat comment after `heartbeat` of quiet, and returns when the
// client goes, a write takes longer than kStreamWriteTimeout, or close()
// is called.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace beamlink::health {

inline constexpr std::chrono::seconds kStreamWriteTimeout{5};

class EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  explicit EventStream(asio::ip::tcp::socket socket);

  // Writes the response head, then events until the stream ends. A client
  // that closes its side ends the stream at once (a reader watches for it).
  // REQUIRES: *this is owned by a shared_ptr.
  asio::awaitable<void> run(std::chrono::milliseconds heartbeat);
  void push(std::string event);
  void close();
  bool closed() const { return closed_; }

 private:
  asio::awaitable<bool> write(const std::string& bytes);
  static asio::awaitable<void> watch_client(std::shared_ptr<EventStream> self);

  asio::ip::tcp::socket socket_;
  asio::steady_timer wake_;
  std::string queued_;
  bool closed_ = false;
};

}  // namespace beamlink::health
