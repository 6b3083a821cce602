#include "node/pending_sends.h"

#include <utility>

#include "beamlink/etf.h"

namespace beamlink::node {

PendingSends::Push PendingSends::push(std::string_view node, Item& item, bool create) {
  // Sized before the lock: a walk of the terms, no encoding.
  size_t bytes = 0;
  if (max_bytes_ != 0) {
    bytes = etf::encoded_size(item.control) + (item.payload ? etf::encoded_size(*item.payload) : 0);
  }
  std::lock_guard lock(mu_);
  auto it = by_node_.find(node);
  if (it == by_node_.end()) {
    if (!create) return Push::absent;
    it = by_node_.try_emplace(std::string(node)).first;
    queues_.fetch_add(1, std::memory_order_release);
    it->second.bytes = bytes;
    it->second.items.push_back(std::move(item));
    return Push::created;
  }
  Queue& queue = it->second;
  if ((max_messages_ != 0 && queue.items.size() >= max_messages_) ||
      (max_bytes_ != 0 && queue.bytes + bytes > max_bytes_ && !queue.items.empty())) {
    overflows_.fetch_add(1, std::memory_order_relaxed);
    return Push::overflow;
  }
  queue.bytes += bytes;
  queue.items.push_back(std::move(item));
  return Push::queued;
}

bool PendingSends::take(std::string_view node, std::deque<Item>& out) {
  std::lock_guard lock(mu_);
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return false;
  if (it->second.items.empty()) {
    by_node_.erase(it);
    queues_.fetch_sub(1, std::memory_order_release);
    return false;
  }
  out.swap(it->second.items);
  it->second.bytes = 0;
  return true;
}

}  // namespace beamlink::node
