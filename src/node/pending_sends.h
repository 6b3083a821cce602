// node/pending_sends.h - the ordered queue of signals routed to a node
// whose connection is being set up, or whose queue is being flushed.
//
// While a node has a queue, every signal routed to it (messages, links,
// unlinks, monitors, demonitors, exits) is appended to it, so nothing
// overtakes what was routed earlier. The flush takes the queue in batches
// and sends each batch without the lock; signals routed meanwhile join the
// queue behind the batch, and the queue is removed only when a take finds
// it empty, so the order holds across the hand-over to the connection.
//
// Bounds: per node, at most `max_messages` signals and `max_bytes` encoded
// bytes (0: no bound). A signal over either is refused (Push::overflow)
// and handed back to the caller, which runs its on_fail.
//
// Thread safety: every member from any thread; one short lock, never held
// while sending or running a callback.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "beamlink/term.h"

namespace beamlink::node {

class PendingSends {
 public:
  using FailFn = std::move_only_function<void()>;
  struct Item {
    Term control;
    std::optional<Term> payload;
    FailFn on_fail;
  };

  PendingSends(size_t max_messages, size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  // True while any node has a queue (a lock-free hint for the fast path).
  bool any() const { return queues_.load(std::memory_order_acquire) > 0; }

  enum class Push {
    queued,    // appended behind what was queued before
    created,   // a new queue with `item` first: the caller starts the connect
    absent,    // no queue and `create` was false; `item` untouched
    overflow,  // the queue is full; `item` untouched (run its on_fail)
  };
  // Appends `item` to the node's queue; with `create`, makes the queue when
  // there is none.
  Push push(std::string_view node, Item& item, bool create);

  // Moves the node's queued signals into `out` (in order) for sending.
  // Returns false, and removes the queue, when it is empty (or absent).
  bool take(std::string_view node, std::deque<Item>& out);

  // Signals refused for a full queue since the start.
  uint64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }

 private:
  struct Queue {
    std::deque<Item> items;
    size_t bytes = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  const size_t max_messages_;
  const size_t max_bytes_;
  std::mutex mu_;
  std::unordered_map<std::string, Queue, Hash, std::equal_to<>> by_node_;
  std::atomic<size_t> queues_{0};
  std::atomic<uint64_t> overflows_{0};
};

}  // namespace beamlink::node
