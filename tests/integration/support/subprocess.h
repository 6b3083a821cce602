// subprocess.h - run a short-lived command to completion for integration
// tests (erl scripts, CLI invocations) and capture what it printed.
//
// run_process starts argv[0] (looked up in PATH) with the current
// environment, writes `stdin_data` to its stdin and closes it, and collects
// stdout and stderr separately until it exits. If it is still running after
// `timeout`, its process group is killed with SIGKILL and the result says so.
// Only the process this call started (and its group) is ever signalled.
// Thread-compatible: concurrent calls share nothing.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace beamlink::testing {

struct ProcessResult {
  // The exit status; 128 + signal when killed by a signal; -1 when the
  // command could not be started (err says why).
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
};

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::chrono::milliseconds timeout);

}  // namespace beamlink::testing
