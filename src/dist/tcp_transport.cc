// Transport over a plain TCP socket.
#include <sys/socket.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "dist/transport.h"

namespace beamlink::dist {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

class TcpTransport final : public Transport {
 public:
  TcpTransport(tcp::socket socket, asio::any_io_executor executor)
      : socket_(std::move(socket)), executor_(std::move(executor)) {
    asio::error_code error;
    socket_.set_option(tcp::no_delay(true), error);
    const auto endpoint = socket_.remote_endpoint(error);
    remote_ = error ? std::string("unknown peer")
                    : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  asio::any_io_executor executor() const override { return executor_; }

  asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buffer) override {
    auto [error, count] =
        co_await socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()), kNoThrow);
    if (!error) co_return count;
    co_return failure("read", error);
  }

  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> buffers) override {
    auto [error, count] = co_await asio::async_write(socket_, buffers, kNoThrow);
    (void)count;
    if (!error) co_return Result<void>{};
    co_return failure("write", error);
  }

  asio::awaitable<Result<size_t>> write_some(std::span<const asio::const_buffer> buffers) override {
    auto [error, count] = co_await socket_.async_write_some(buffers, kNoThrow);
    if (!error) co_return count;
    co_return failure("write", error);
  }

  // A plain send(2): the socket object is only read (its descriptor), and
  // the caller keeps write() and close() away meanwhile.
  Result<size_t> try_write(std::span<const uint8_t> bytes) override {
    const ssize_t sent =
        ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<size_t>(sent);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
    return fail(Errc::io, "write " + remote_ + ": " + std::strerror(errno));
  }

  void close() override {
    closed_ = true;
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  const std::string& remote() const override { return remote_; }

 private:
  std::unexpected<Error> failure(std::string_view operation, const asio::error_code& error) const {
    if (closed_ || error == asio::error::operation_aborted) {
      return fail(Errc::closed, std::string(operation) + " " + remote_ + ": connection closed");
    }
    if (error == asio::error::eof || error == asio::error::connection_reset ||
        error == asio::error::broken_pipe) {
      return fail(Errc::closed, std::string(operation) + " " + remote_ + ": closed by the peer (" +
                                    error.message() + ")");
    }
    return fail(Errc::io, std::string(operation) + " " + remote_ + ": " + error.message());
  }

  tcp::socket socket_;
  asio::any_io_executor executor_;
  std::string remote_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket socket,
                                              asio::any_io_executor executor) {
  return std::make_unique<TcpTransport>(std::move(socket), std::move(executor));
}

}  // namespace beamlink::dist
