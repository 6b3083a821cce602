#include "etf/sinks.h"

#include <algorithm>

namespace beamlink::etf {

namespace {
// Enough for most messages at once; zero-filling it costs a few ns.
constexpr size_t kFirstChunk = 128;
}  // namespace

void VectorSink::grow(size_t n) {
  size_t written = position();
  size_t size = std::max({written + n, written * 2, kFirstChunk});
  out_.resize(start_ + size);
  pos_ = out_.data() + start_ + written;
  end_ = out_.data() + out_.size();
}

}  // namespace beamlink::etf
