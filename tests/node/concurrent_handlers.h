// concurrent_handlers.h - how many handler processes of a node run at the
// same moment. Starts `n` handler processes and sends each one message;
// each handler waits inside (at most `patience`) until all `n` are inside
// at once. With n worker threads they all meet; with fewer, the ones that
// got a thread wait out their patience and leave.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "beamlink/node.h"
#include "beamlink/terms.h"

namespace beamlink::testing {

struct HandlerMeeting {
  size_t most_inside = 0;  // the most handlers inside at one moment
  std::set<std::thread::id> threads;
};

inline HandlerMeeting run_handlers_at_once(Node& node, size_t n,
                                           std::chrono::milliseconds patience) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    size_t inside = 0;
    size_t done = 0;
    HandlerMeeting seen;
  };
  auto shared = std::make_shared<Shared>();
  std::vector<Pid> pids;
  for (size_t i = 0; i < n; ++i) {
    auto pid = node.spawn_handler([shared, n, patience](Process&, Term) {
      std::unique_lock lock(shared->mu);
      shared->seen.threads.insert(std::this_thread::get_id());
      shared->seen.most_inside = std::max(shared->seen.most_inside, ++shared->inside);
      shared->cv.notify_all();
      shared->cv.wait_for(lock, patience, [&] { return shared->seen.most_inside >= n; });
      --shared->inside;
      ++shared->done;
      shared->cv.notify_all();
    });
    EXPECT_TRUE(pid) << pid.error().to_string();
    if (pid) pids.push_back(*pid);
  }
  for (const Pid& pid : pids) node.send(pid, atom("go"));
  std::unique_lock lock(shared->mu);
  // Bounded: every handler leaves within its patience, one thread at a time at worst.
  shared->cv.wait_for(lock, patience * (n + 1), [&] { return shared->done >= pids.size(); });
  return shared->seen;
}

}  // namespace beamlink::testing
