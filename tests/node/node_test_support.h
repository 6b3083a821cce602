// node_test_support.h - starting Nodes on a FakeNetwork and matching the
// messages they receive.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "beamlink/node.h"
#include "beamlink/term_text.h"
#include "node/fake_network.h"

namespace beamlink::testing {

using namespace std::chrono_literals;

inline std::unique_ptr<Node> start_node(FakeNetwork& network, const std::string& name,
                                        bool hidden = false, uint32_t creation = 1) {
  NodeOptions options;
  options.name = name;
  options.cookie = "secret";
  options.hidden = hidden;
  options.worker_threads = 2;
  auto node = node::start_node(std::move(options), network.factory(creation));
  EXPECT_TRUE(node.has_value()) << (node ? "" : node.error().to_string());
  return node ? std::move(*node) : nullptr;
}

inline SpawnOptions trapping() {
  SpawnOptions options;
  options.trap_exit = true;
  return options;
}

inline Term A(std::string_view name) {
  return Term::atom(name);
}

template <class... Ts>
Term T(Ts&&... items) {
  return Term::tuple({Term(std::forward<Ts>(items))...});
}

inline std::string text(const std::optional<Term>& term) {
  return term ? format_term(*term) : std::string("<nothing>");
}

// Polls until `predicate` holds, at most `limit`.
template <class F>
bool wait_until(F predicate, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return predicate();
}

}  // namespace beamlink::testing
