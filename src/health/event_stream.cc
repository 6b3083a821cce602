#include "health/event_stream.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "beamlink/health.h"
#include "health/sse.h"

namespace beamlink::health {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

EventStream::EventStream(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), wake_(socket_.get_executor()) {}

asio::awaitable<void> EventStream::run(std::chrono::milliseconds heartbeat) {
  // The browser reconnects after `retry` ms if the stream breaks.
  if (!co_await write(sse_response_head() + "retry: 2000\n" + sse_comment("beamlink events")))
    co_return;
  asio::co_spawn(socket_.get_executor(), watch_client(shared_from_this()), asio::detached);
  while (!closed_) {
    if (queued_.empty()) {
      wake_.expires_after(heartbeat);
      auto [ec] = co_await wake_.async_wait(kNoThrow);
      if (closed_) break;
      if (!ec && queued_.empty()) queued_ = sse_comment("heartbeat");
      continue;
    }
    std::string batch = std::move(queued_);
    queued_.clear();
    if (!co_await write(batch)) break;
  }
  close();
}

void EventStream::push(std::string event) {
  if (closed_) return;
  if (queued_.size() + event.size() > kMaxQueuedEventBytes) {
    close();
    return;
  }
  queued_ += event;
  wake_.cancel();
}

void EventStream::close() {
  if (closed_) return;
  closed_ = true;
  wake_.cancel();
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<void> EventStream::watch_client(std::shared_ptr<EventStream> self) {
  // The client has nothing more to say after its request; whatever it
  // sends is read and dropped, and its close (or any error) ends the stream.
  char buffer[512];
  for (;;) {
    auto [ec, n] = co_await self->socket_.async_read_some(asio::buffer(buffer), kNoThrow);
    if (ec || self->closed_) break;
  }
  self->close();
}

asio::awaitable<bool> EventStream::write(const std::string& bytes) {
  asio::steady_timer deadline(socket_.get_executor());
  deadline.expires_after(kStreamWriteTimeout);
  deadline.async_wait([this](const std::error_code& ec) {
    if (!ec) close();
  });
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
  deadline.cancel();
  co_return !ec && !closed_;
}

}  // namespace beamlink::health
