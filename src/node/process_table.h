// node/process_table.h - the local processes by pid, registered names and
// active aliases.
//
// The pid map is split into shards, each with its own lock, so concurrent
// sends to different processes rarely contend. Pid numbers stay within the
// classic 15-bit id / 13-bit serial ranges every OTP release accepts; ids
// start above dist::kFirstProcessId.
//
// Thread safety: all members from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "beamlink/result.h"
#include "beamlink/term.h"
#include "node/process_state.h"

namespace beamlink::node {

class ProcessTable {
 public:
  ProcessTable(Atom node, uint32_t creation) : node_(std::move(node)), creation_(creation) {}

  // A fresh pid not in use by a live process.
  Pid next_pid();
  void insert(std::shared_ptr<ProcessState> state);
  void erase(const Pid& pid);
  // REQUIRES: pid is local (node and creation checked by the caller).
  std::shared_ptr<ProcessState> find(const Pid& pid) const;
  std::vector<std::shared_ptr<ProcessState>> all() const;
  size_t size() const;

  Result<void> register_name(std::string_view name, const std::shared_ptr<ProcessState>& state);
  // Unregisters `name` if it names `pid` (or any pid when pid is null).
  bool unregister_name(std::string_view name, const Pid* pid = nullptr);
  std::shared_ptr<ProcessState> whereis(std::string_view name) const;
  std::vector<std::string> names() const;

  void add_alias(const Reference& alias, const std::shared_ptr<ProcessState>& state);
  void remove_alias(const Reference& alias);
  std::shared_ptr<ProcessState> resolve_alias(const Reference& alias) const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, std::shared_ptr<ProcessState>> processes;
  };
  static uint64_t key(const Pid& pid) { return (uint64_t{pid.serial} << 32) | pid.id; }
  Shard& shard(uint64_t k) { return shards_[k % kShards]; }
  const Shard& shard(uint64_t k) const { return shards_[k % kShards]; }

  const Atom node_;
  const uint32_t creation_;
  std::atomic<uint64_t> counter_{0};
  std::atomic<size_t> size_{0};
  std::array<Shard, kShards> shards_;

  mutable std::shared_mutex names_mu_;
  std::unordered_map<std::string, std::shared_ptr<ProcessState>> names_;

  mutable std::shared_mutex aliases_mu_;
  std::unordered_map<Reference, std::weak_ptr<ProcessState>, ReferenceHash> aliases_;
};

}  // namespace beamlink::node
