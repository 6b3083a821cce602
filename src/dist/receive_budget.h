// dist/receive_budget.h - the node-wide bound on memory held for incoming
// messages that are not complete yet, and the node-wide count of incoming
// messages discarded unread.
//
// One ReceiveBudget belongs to a Distribution and is shared (shared_ptr) by
// every connection's reader, so a thousand peers together can pin no more
// than `limit` bytes of unfinished messages: the data of fragmented messages
// being reassembled, and the part of a large frame's read buffer beyond
// what a connection keeps for itself (FrameStream). A reader takes bytes as
// they arrive, never for a length a peer merely declared; when a take is
// refused, the message it was for is discarded (and counted here) instead
// of the node growing.
//
// Thread safe: lock-free atomics. A BudgetLease is one holder's share: not
// thread safe, move-only, and gives its bytes back when destroyed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

namespace beamlink::dist {

class ReceiveBudget {
 public:
  explicit ReceiveBudget(size_t limit = std::numeric_limits<size_t>::max()) : limit_(limit) {}

  // Takes `bytes` if they fit under the limit; false (and nothing taken)
  // otherwise.
  bool try_take(size_t bytes);
  void give_back(size_t bytes);

  size_t limit() const { return limit_; }
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

  // Messages discarded on receipt anywhere on the node (over the maximum
  // message size, this budget, a per-connection bound or a decode limit),
  // and the bytes of them that arrived.
  void count_discard(uint64_t bytes);
  void count_skipped(uint64_t bytes) { discarded_bytes_.fetch_add(bytes, relaxed); }
  uint64_t discarded_messages() const { return discarded_messages_.load(relaxed); }
  uint64_t discarded_bytes() const { return discarded_bytes_.load(relaxed); }

 private:
  static constexpr auto relaxed = std::memory_order_relaxed;
  const size_t limit_;
  std::atomic<size_t> in_use_{0};
  std::atomic<uint64_t> discarded_messages_{0};
  std::atomic<uint64_t> discarded_bytes_{0};
};

// A share of a ReceiveBudget that follows one buffer's size.
class BudgetLease {
 public:
  BudgetLease() = default;
  explicit BudgetLease(std::shared_ptr<ReceiveBudget> budget) : budget_(std::move(budget)) {}
  BudgetLease(BudgetLease&& other) noexcept;
  BudgetLease& operator=(BudgetLease&& other) noexcept;
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;
  ~BudgetLease() { resize(0); }

  // Holds exactly `bytes`: gives back what is no longer needed, or takes
  // the difference. False (the lease unchanged) when the budget refuses.
  // A lease without a budget always succeeds.
  bool resize(size_t bytes);
  size_t held() const { return held_; }
  size_t limit() const { return budget_ ? budget_->limit() : std::numeric_limits<size_t>::max(); }

 private:
  std::shared_ptr<ReceiveBudget> budget_;
  size_t held_ = 0;
};

}  // namespace beamlink::dist
