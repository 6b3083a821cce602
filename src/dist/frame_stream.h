// dist/frame_stream.h - a connection's incoming byte stream, cut into
// 4-byte-length frames for a DistReader, holding in memory only bytes that
// have arrived.
//
// Memory contract:
//  * The buffer starts at min_chunk bytes and grows only when the bytes
//    that arrived fill it: a frame's declared length is a cap on growth,
//    never an allocation (5 bytes declaring 256 MiB cost nothing). Growth
//    is geometric, so the buffer is at most about twice what has arrived of
//    the frame in it, plus one read chunk.
//  * Capacity beyond max_chunk (what any connection keeps for reading) is
//    taken from the node's ReceiveBudget as it grows; when the budget
//    refuses, the frame's message is discarded (DistReader::abandon) and
//    the rest of the frame is skipped.
//  * A frame the DistReader does not admit (its message is over
//    max_message_size, or already discarded) is skipped: its bytes are read
//    into the same small buffer and dropped.
//  * After a large frame the buffer shrinks back to a read chunk.
//
// Use: loop next() until it returns false, read into room(), commit() the
// count, repeat. Not thread safe (one connection's reader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "beamlink/result.h"
#include "dist/dist_reader.h"
#include "dist/receive_budget.h"

namespace beamlink::dist {

struct FrameStreamLimits {
  // Bytes asked of each read: an idle or chatty-but-small connection reads
  // min_chunk at a time (little memory per peer in a big mesh); a read
  // that fills its room doubles the chunk, up to max_chunk, for bulk data.
  size_t min_chunk = 16u << 10;
  size_t max_chunk = 256u << 10;
};

class FrameStream {
 public:
  // `leftover`: bytes that arrived with the end of the handshake.
  FrameStream(DistReader& reader, std::shared_ptr<ReceiveBudget> budget,
              std::span<const uint8_t> leftover = {}, FrameStreamLimits limits = {});

  // Reads frames from what has arrived. True: a message is in `out`;
  // false: everything buffered is used, read more (room() is not empty).
  // Ticks, fragments and discarded frames are consumed silently. An error
  // (malformed frame) ends the stream.
  Result<bool> next(DistMessage& out);

  // Where the next read goes. REQUIRES: next() returned false since the
  // last commit.
  std::span<uint8_t> room() { return {data_.get() + end_, capacity_ - end_}; }
  // `count` bytes were read into room().
  void commit(size_t count);

  uint64_t frames() const { return frames_; }          // frames consumed, ticks included
  size_t capacity() const { return capacity_; }        // bytes of buffer held now
  size_t peak_capacity() const { return peak_; }       // the most ever held
  size_t charged() const { return lease_.held(); }     // of it, taken from the budget
  uint64_t skipped_bytes() const { return skipped_; }  // of discarded frames

 private:
  // Makes room for the next read: compacts, grows the buffer of a partial
  // frame (within the budget, else abandons the frame) or shrinks it.
  Result<void> make_room();
  bool reallocate(size_t capacity);

  DistReader& reader_;
  FrameStreamLimits limits_;
  BudgetLease lease_;
  std::unique_ptr<uint8_t[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // unconsumed bytes are [begin_, end_)
  size_t end_ = 0;
  size_t chunk_ = 0;
  size_t skip_ = 0;        // bytes of a discarded frame still to come
  bool admitted_ = false;  // the frame at begin_ passed DistReader::admit
  uint64_t frames_ = 0;
  uint64_t skipped_ = 0;
  size_t peak_ = 0;
};

}  // namespace beamlink::dist
