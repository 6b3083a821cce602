// The node-wide receive budget; see receive_budget.h.
#include "dist/receive_budget.h"

#include <utility>

namespace beamlink::dist {

bool ReceiveBudget::try_take(size_t bytes) {
  size_t used = in_use_.load(relaxed);
  do {
    if (bytes > limit_ - used) return false;
  } while (!in_use_.compare_exchange_weak(used, used + bytes, relaxed));
  return true;
}

void ReceiveBudget::give_back(size_t bytes) {
  in_use_.fetch_sub(bytes, relaxed);
}

void ReceiveBudget::count_discard(uint64_t bytes) {
  discarded_messages_.fetch_add(1, relaxed);
  discarded_bytes_.fetch_add(bytes, relaxed);
}

BudgetLease::BudgetLease(BudgetLease&& other) noexcept
    : budget_(std::move(other.budget_)), held_(std::exchange(other.held_, 0)) {}

BudgetLease& BudgetLease::operator=(BudgetLease&& other) noexcept {
  if (this != &other) {
    resize(0);
    budget_ = std::move(other.budget_);
    held_ = std::exchange(other.held_, 0);
  }
  return *this;
}

bool BudgetLease::resize(size_t bytes) {
  if (!budget_) {
    held_ = bytes;
    return true;
  }
  if (bytes < held_) {
    budget_->give_back(held_ - bytes);
  } else if (bytes > held_ && !budget_->try_take(bytes - held_)) {
    return false;
  }
  held_ = bytes;
  return true;
}

}  // namespace beamlink::dist
