// Bytes: shared or borrowed binary payloads (see beamlink/term.h).
#include <algorithm>
#include <cstring>

#include "beamlink/term.h"

namespace beamlink {

// One allocation holds the count block and the payload.
Bytes Bytes::copy(std::span<const uint8_t> data) {
  Bytes out;
  if (data.empty()) return out;
  std::shared_ptr<uint8_t[]> owned = std::make_shared_for_overwrite<uint8_t[]>(data.size());
  std::memcpy(owned.get(), data.data(), data.size());
  out.data_ = owned.get();
  out.size_ = data.size();
  out.owner_ = std::move(owned);
  return out;
}

Bytes Bytes::copy(std::string_view text) {
  return copy(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Bytes Bytes::take(std::vector<uint8_t>&& data) {
  Bytes out;
  if (data.empty()) return out;
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(data));
  out.data_ = owned->data();
  out.size_ = owned->size();
  out.owner_ = std::move(owned);
  return out;
}

Bytes Bytes::borrow(std::span<const uint8_t> data) {
  Bytes out;
  out.data_ = data.data();
  out.size_ = data.size();
  return out;
}

Bytes Bytes::share(std::shared_ptr<const void> owner, std::span<const uint8_t> data) {
  Bytes out;
  out.owner_ = std::move(owner);
  out.data_ = data.data();
  out.size_ = data.size();
  return out;
}

bool operator==(const Bytes& a, const Bytes& b) {
  return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
}

std::strong_ordering operator<=>(const Bytes& a, const Bytes& b) {
  size_t common = std::min(a.size_, b.size_);
  int c = common == 0 ? 0 : std::memcmp(a.data_, b.data_, common);
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.size_ <=> b.size_;
}

}  // namespace beamlink
