#include "epmd/request_framer.h"

namespace beamlink::epmd {

void RequestFramer::append(ByteSpan bytes) {
  if (failed_) return;
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Bytes>> RequestFramer::next() {
  if (failed_) return std::unexpected(*failed_);
  if (buffered() < 2) return std::nullopt;
  const size_t length = (size_t{buffer_[consumed_]} << 8) | buffer_[consumed_ + 1];
  if (length == 0) {
    failed_ = Error{Errc::malformed, "EPMD request with length 0"};
  } else if (length > max_request_size_) {
    failed_ = Error{Errc::limit_exceeded, "EPMD request of " + std::to_string(length) +
                                              " bytes, limit " + std::to_string(max_request_size_)};
  }
  if (failed_) {
    buffer_.clear();
    consumed_ = 0;
    return std::unexpected(*failed_);
  }
  if (buffered() < 2 + length) return std::nullopt;
  auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_ + 2);
  Bytes request(begin, begin + static_cast<std::ptrdiff_t>(length));
  consumed_ += 2 + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return request;
}

}  // namespace beamlink::epmd
