// Frames from a connection's byte stream; see frame_stream.h.
#include "dist/frame_stream.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dist/wire.h"

namespace beamlink::dist {

FrameStream::FrameStream(DistReader& reader, std::shared_ptr<ReceiveBudget> budget,
                         std::span<const uint8_t> leftover, FrameStreamLimits limits)
    : reader_(reader),
      limits_(limits),
      lease_(std::move(budget)),
      chunk_(std::max<size_t>(limits.min_chunk, 64)) {
  // The leftover is already in memory (the handshake's read), so it is not
  // weighed against the budget.
  capacity_ = std::max(chunk_, leftover.size());
  data_ = std::make_unique_for_overwrite<uint8_t[]>(capacity_);
  if (!leftover.empty()) std::memcpy(data_.get(), leftover.data(), leftover.size());
  end_ = leftover.size();
  peak_ = capacity_;
}

Result<bool> FrameStream::next(DistMessage& out) {
  for (;;) {
    if (skip_ > 0) {
      const size_t skipped = std::min(skip_, end_ - begin_);
      begin_ += skipped;
      skip_ -= skipped;
      skipped_ += skipped;
      reader_.count_skipped(skipped);
      if (skip_ > 0) break;
    }
    const size_t have = end_ - begin_;
    if (have < 4) break;
    const uint8_t* at = data_.get() + begin_;
    const size_t length = load_be(at, 4);
    if (length == 0) {  // a tick
      begin_ += 4;
      ++frames_;
      continue;
    }
    if (!admitted_) {
      const std::span<const uint8_t> arrived(at + 4, std::min(have - 4, length));
      const size_t head = DistReader::head_size(arrived, length);
      if (arrived.size() < head) break;
      auto keep = reader_.admit(arrived.first(head), length);
      if (!keep) return std::unexpected(keep.error());
      if (!*keep) {
        begin_ += 4;
        skip_ = length;
        ++frames_;
        continue;
      }
      admitted_ = true;
    }
    if (have - 4 < length) break;
    begin_ += 4 + length;
    admitted_ = false;
    ++frames_;
    auto complete = reader_.read(std::span(at + 4, length), out);
    if (!complete) return std::unexpected(complete.error());
    if (*complete) return true;
  }
  if (auto room = make_room(); !room) return std::unexpected(room.error());
  return false;
}

void FrameStream::commit(size_t count) {
  end_ += count;
  // A read that filled its room suggests more was waiting.
  if (end_ == capacity_ && count > 0 && chunk_ < limits_.max_chunk) {
    chunk_ = std::min(chunk_ * 2, limits_.max_chunk);
  }
}

bool FrameStream::reallocate(size_t capacity) {
  const size_t have = end_ - begin_;
  if (capacity != capacity_) {
    const size_t charge = capacity > limits_.max_chunk ? capacity - limits_.max_chunk : 0;
    if (!lease_.resize(charge)) return false;
    auto fresh = std::make_unique_for_overwrite<uint8_t[]>(capacity);
    if (have > 0) std::memcpy(fresh.get(), data_.get() + begin_, have);
    data_ = std::move(fresh);
    capacity_ = capacity;
    peak_ = std::max(peak_, capacity_);
  } else if (begin_ > 0 && have > 0) {
    std::memmove(data_.get(), data_.get() + begin_, have);
  }
  begin_ = 0;
  end_ = have;
  return true;
}

Result<void> FrameStream::make_room() {
  const size_t have = end_ - begin_;
  if (!admitted_) {
    // Between frames (or skipping one): at most a frame's first bytes wait.
    const bool oversized = capacity_ > limits_.max_chunk && have <= chunk_;
    (void)reallocate(capacity_ < chunk_ || oversized ? std::max(chunk_, have) : capacity_);
    return {};
  }
  // A frame admitted but not all in: grow with what arrived, capped by the
  // frame's declared size.
  const size_t total = 4 + load_be(data_.get() + begin_, 4);
  const size_t missing = total - have;
  const size_t room = capacity_ - have;
  if (room >= std::min(missing, limits_.min_chunk)) {
    (void)reallocate(capacity_);
    return {};
  }
  const size_t grown = std::min(total, std::max(capacity_ * 2, chunk_));
  if (reallocate(grown)) return {};

  // The budget refused: the frame's message is discarded, the rest skipped.
  const size_t length = total - 4;
  const std::span<const uint8_t> head(data_.get() + begin_ + 4,
                                      std::min(have - 4, DistReader::kHeadSize));
  const std::string why = "the node's receive budget (" + std::to_string(lease_.limit()) +
                          " bytes) is used up after " + std::to_string(have - 4) + " of its bytes";
  auto ended = reader_.abandon(head, length, have - 4, why);
  skip_ = missing;
  begin_ = end_ = 0;
  admitted_ = false;
  ++frames_;
  (void)reallocate(chunk_);
  return ended;
}

}  // namespace beamlink::dist
