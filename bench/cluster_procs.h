// Child processes of the cluster benchmark (bench/cluster_formation.cc).
//
// Every child is started with posix_spawnp, its stdout and stderr in one
// log file, optionally inside a network namespace (`ip netns exec NS`,
// which execs, so the pid is the program's own). Every child is recorded,
// and stop_all_children() ends them by pid: SIGTERM, then SIGKILL after a
// bounded wait. install_child_cleanup() makes SIGINT, SIGTERM, SIGHUP and
// a normal exit do the same, so no node outlives the driver.
//
// Not thread-safe: the driver is single-threaded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cluster_bench {

// The program and its arguments, and the namespace to run it in ("" for
// the driver's own).
struct Launch {
  std::vector<std::string> argv;
  std::string netns;
  std::vector<std::string> env;  // extra NAME=VALUE entries
};

// Starts the program with its output in log_path (truncated). Returns the
// pid, or -1 with a message on stderr.
pid_t spawn_child(const Launch& launch, const std::string& log_path);

// SIGKILL without waiting for the others; reaps the child.
void kill_child(pid_t pid);

// SIGTERM every child still running, wait up to `grace`, then SIGKILL.
void stop_all_children(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

void install_child_cleanup();

// Runs a command to completion (bounded by `limit`; killed after it) and
// returns its exit status, or -1.
int run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit);

// Resident set of a running process in KiB (VmRSS), or 0.
int64_t rss_kib(pid_t pid);

// CPU time (user + system) a running process has used, in ms, or 0.
int64_t cpu_ms(pid_t pid);

// Milliseconds since the Unix epoch, the clock node logs are stamped with.
int64_t wall_ms();

// A TCP port on 127.0.0.1 nobody listens on right now.
uint16_t free_port();

}  // namespace cluster_bench
