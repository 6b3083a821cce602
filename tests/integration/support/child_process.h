// child_process.h - long-running helper processes for integration tests
// (erl nodes, epmd), stopped by pid.
//
// ChildProcess::spawn starts argv[0] (looked up in PATH) with the current
// environment plus `env` overrides, stdin from /dev/null and stdout+stderr
// captured in a temporary file (output()). The destructor kills the process
// with SIGKILL if it is still running and reaps it, so a failing test never
// leaves a child behind. Only the process this object started is ever
// signalled. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace beamlink::testing {

using EnvOverrides = std::vector<std::pair<std::string, std::string>>;

class ChildProcess {
 public:
  static std::expected<ChildProcess, std::string> spawn(const std::vector<std::string>& argv,
                                                        const EnvOverrides& env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // True until the process has exited (reaps it when it has).
  bool running();
  // The exit code (128 + signal when killed), or nullopt if it is still
  // running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends `signal`, waits up to `grace`, then SIGKILL. Returns the exit code.
  int stop(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(5));
  // stdout and stderr so far.
  std::string output() const;
  const std::string& command() const { return command_; }

 private:
  ChildProcess(pid_t pid, std::string output_path, std::string command)
      : pid_(pid), output_path_(std::move(output_path)), command_(std::move(command)) {}
  bool reap(int options);
  void release();

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string output_path_;
  std::string command_;
};

}  // namespace beamlink::testing
