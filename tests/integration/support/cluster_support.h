// cluster_support.h - pieces of the multi-node cluster tests: one
// `beamlink epmd` child listening on several loopback addresses (each
// 127.0.0.x stands for a host), temporary directories for config files, and
// what `beamlink nodes` and a node's log say.
//
// Everything here starts processes only through ChildProcess / run_process,
// so only what a test started is ever signalled. Thread-compatible:
// concurrent calls share nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integration/support/child_process.h"

namespace beamlink::testing {

// `beamlink epmd` as a child process, on one port for every address.
struct EpmdChild {
  ChildProcess process;
  uint16_t port = 0;
};

// Starts `cli epmd` on a free port and `addresses`, and returns once its
// EPMD answers NAMES on every address. Retries with another port when it
// loses the race for one; an error says what went wrong last.
std::expected<EpmdChild, std::string> start_epmd_child(const std::string& cli,
                                                       const std::vector<std::string>& addresses);

// A fresh directory under /tmp, removed with its contents on destruction.
// The constructor throws std::runtime_error when none can be made (a test
// cannot go on without it; gtest reports the failure).
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Writes (replaces) `name` in the directory; returns its full path.
  std::string write(std::string_view name, std::string_view text) const;

 private:
  std::string path_;
};

// NODE's visible peers as `cli nodes NODE [extra...]` prints them (sorted,
// NODE itself left out); nullopt when the command failed or timed out.
std::optional<std::vector<std::string>> visible_peers(const std::string& cli,
                                                      const std::string& node, uint16_t epmd_port,
                                                      const std::string& cookie,
                                                      std::chrono::milliseconds timeout,
                                                      const std::vector<std::string>& extra = {});

// How often `needle` occurs in `text`.
size_t count_of(std::string_view text, std::string_view needle);

// The integer right after each occurrence of `prefix`, in order: for
// "retry 1 in 50 ms", numbers_after(log, "retry 1 in ") is {50}.
std::vector<int64_t> numbers_after(std::string_view text, std::string_view prefix);

// The items with `separator` between them ("a,b,c" by default).
std::string join(const std::vector<std::string>& items, std::string_view separator = ",");

}  // namespace beamlink::testing
