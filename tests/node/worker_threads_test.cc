// NodeOptions::worker_threads: N threads run N handler processes at the
// same moment; one thread runs them one after another.
#include <gtest/gtest.h>

#include "node/concurrent_handlers.h"
#include "node/fake_network.h"
#include "node/node_testing.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Node> start_with_threads(FakeNetwork& network, unsigned threads) {
  NodeOptions options;
  options.name = "w" + std::to_string(threads) + "@host";
  options.cookie = "secret";
  options.worker_threads = threads;
  auto node = node::start_node(std::move(options), network.factory());
  EXPECT_TRUE(node) << node.error().to_string();
  return node ? std::move(*node) : nullptr;
}

TEST(WorkerThreadsTest, NThreadsRunNHandlersAtOnce) {
  FakeNetwork network;
  auto node = start_with_threads(network, 4);
  ASSERT_TRUE(node);
  HandlerMeeting seen = run_handlers_at_once(*node, 4, 10s);
  EXPECT_EQ(seen.most_inside, 4u);
  EXPECT_EQ(seen.threads.size(), 4u);
}

TEST(WorkerThreadsTest, OneThreadRunsHandlersOneAtATime) {
  FakeNetwork network;
  auto node = start_with_threads(network, 1);
  ASSERT_TRUE(node);
  HandlerMeeting seen = run_handlers_at_once(*node, 2, 200ms);
  EXPECT_EQ(seen.most_inside, 1u);
  EXPECT_EQ(seen.threads.size(), 1u);
}

}  // namespace
}  // namespace beamlink::testing
