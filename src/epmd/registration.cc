#include <sys/socket.h>

#include <cerrno>

#include "beamlink/epmd.h"
#include "epmd/epmd_async.h"

namespace beamlink::epmd {

Registration::Registration() = default;
Registration::Registration(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registration::Registration(Registration&&) noexcept = default;
Registration& Registration::operator=(Registration&&) noexcept = default;
Registration::~Registration() = default;

uint32_t Registration::creation() const {
  return impl_ ? impl_->creation : 0;
}

const NodeInfo& Registration::node() const {
  static const NodeInfo kNone;
  return impl_ ? impl_->node : kNone;
}

bool Registration::active() const {
  return impl_ != nullptr;
}

bool Registration::connection_alive() {
  if (!impl_ || !impl_->socket.is_open()) return false;
  // Peek without blocking: 0 means the daemon closed its end.
  char byte = 0;
  const ssize_t got = ::recv(impl_->socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got > 0) return true;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  return false;
}

void Registration::close() {
  if (!impl_) return;
  asio::error_code ignored;
  impl_->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
  impl_.reset();
}

}  // namespace beamlink::epmd
