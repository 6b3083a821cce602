// discovery/worker_pool.h - a fixed set of threads for blocking work
// (connects bounded by the node's setup time, EPMD and file lookups).
//
// post() never blocks. close() discards queued work and lets the threads
// end after the work in progress, without waiting; stop() does the same
// and joins them. post() after either drops the work.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace beamlink::discovery {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> work);
  void close();
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace beamlink::discovery
