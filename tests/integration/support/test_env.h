// test_env.h - small shared pieces of the real-peer tests: free ports,
// unique node names and bounded polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace beamlink::testing {

// A 127.0.0.1 TCP port that was free a moment ago. Callers retry if they
// lose the race to another process.
uint16_t free_port();

// "bl_<pid>_<tag>": unique across parallel test processes.
std::string unique_node_name(std::string_view tag);

// Polls `predicate` every 50 ms until it is true or `limit` has passed;
// returns its last answer.
bool eventually(const std::function<bool()>& predicate,
                std::chrono::milliseconds limit = std::chrono::seconds(20));

}  // namespace beamlink::testing
