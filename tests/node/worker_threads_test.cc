// NodeOptions::worker_threads: N threads run N handler processes at the
// same moment; one thread runs them one after another.
#include <gtest/gtest.h>

#include "node/concurrent_handlers.h"
#include "node/fake_network.h"
#include "node/node_testing.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

// `handlers` handler processes on a node with `threads` worker threads.
HandlerMeeting meet(unsigned threads, size_t handlers, std::chrono::milliseconds patience) {
  FakeNetwork network;
  NodeOptions options;
  options.name = "w" + std::to_string(threads) + "@host";
  options.cookie = "secret";
  options.worker_threads = threads;
  auto node = node::start_node(std::move(options), network.factory());
  EXPECT_TRUE(node) << node.error().to_string();
  if (!node) return {};
  return run_handlers_at_once(**node, handlers, patience);
}

TEST(WorkerThreadsTest, NThreadsRunNHandlersAtOnce) {
  HandlerMeeting seen = meet(4, 4, 10s);
  EXPECT_EQ(seen.most_inside, 4u);
  EXPECT_EQ(seen.threads.size(), 4u);
}

TEST(WorkerThreadsTest, OneThreadRunsHandlersOneAtATime) {
  HandlerMeeting seen = meet(1, 2, 200ms);
  EXPECT_EQ(seen.most_inside, 1u);
  EXPECT_EQ(seen.threads.size(), 1u);
}

}  // namespace
}  // namespace beamlink::testing
