// stop_signal.h - foreground commands run until SIGINT or SIGTERM.
//
// block_stop_signals() must run before any thread starts, so that only the
// main thread receives them; wait_for_stop_signal() then returns the signal
// name, or nullopt once `finished()` turns true by itself (it is polled five
// times a second). Without `finished` the wait sleeps until a signal: an idle
// node's main thread then never wakes.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace beamlink::cli {

void block_stop_signals();
std::optional<std::string> wait_for_stop_signal(const std::function<bool()>& finished = {});

}  // namespace beamlink::cli
