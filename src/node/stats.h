// node/stats.h - the runtime's counters (relaxed atomics; NodeStats is a
// snapshot of them).
#pragma once

#include <atomic>
#include <cstdint>

namespace beamlink::node {

struct Counters {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> messages_received{0};
  std::atomic<uint64_t> local_messages{0};
  std::atomic<uint64_t> dropped_unknown_pid{0};
  std::atomic<uint64_t> dropped_unknown_name{0};
  std::atomic<uint64_t> dropped_unknown_alias{0};
  std::atomic<uint64_t> dropped_no_connection{0};
  std::atomic<uint64_t> dropped_control{0};
  std::atomic<uint64_t> dropped_kernel_requests{0};
  std::atomic<uint64_t> dropped_pending_overflow{0};
  std::atomic<uint64_t> dropped_mailbox_full{0};
  std::atomic<uint64_t> mailbox_limit_kills{0};
  std::atomic<uint64_t> callback_exceptions{0};
  std::atomic<uint64_t> dropped_busy{0};  // busy connection: waited too long, or overflowed
  std::atomic<uint64_t> busy_refused{0};  // send_nosuspend answered busy
};

inline void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace beamlink::node
