#include "node/process_table.h"

#include "dist/distribution.h"

namespace beamlink::node {

namespace {
constexpr uint32_t kIdLimit = 1u << 15;      // PID id bits every OTP release accepts
constexpr uint32_t kSerialLimit = 1u << 13;  // and serial bits
constexpr uint32_t kIdsPerSerial = kIdLimit - dist::kFirstProcessId;
}  // namespace

Pid ProcessTable::next_pid() {
  for (;;) {
    uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    Pid pid{node_, static_cast<uint32_t>(dist::kFirstProcessId + n % kIdsPerSerial),
            static_cast<uint32_t>((n / kIdsPerSerial) % kSerialLimit), creation_};
    if (find(pid) == nullptr) return pid;  // skip a wrapped-around pid still alive
  }
}

void ProcessTable::insert(std::shared_ptr<ProcessState> state) {
  uint64_t k = key(state->pid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  if (s.processes.emplace(k, std::move(state)).second) size_.fetch_add(1);
}

void ProcessTable::erase(const Pid& pid) {
  uint64_t k = key(pid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  if (s.processes.erase(k) > 0) size_.fetch_sub(1);
}

std::shared_ptr<ProcessState> ProcessTable::find(const Pid& pid) const {
  uint64_t k = key(pid);
  const Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  auto it = s.processes.find(k);
  return it == s.processes.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ProcessState>> ProcessTable::all() const {
  std::vector<std::shared_ptr<ProcessState>> out;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [k, state] : s.processes) out.push_back(state);
  }
  return out;
}

size_t ProcessTable::size() const {
  return size_.load();
}

Result<void> ProcessTable::register_name(std::string_view name,
                                         const std::shared_ptr<ProcessState>& state) {
  if (name.empty() || name == "undefined") {
    return fail(Errc::invalid_argument, "register: invalid name '" + std::string(name) + "'");
  }
  std::unique_lock names_lock(names_mu_);
  if (names_.contains(std::string(name))) {
    return fail(Errc::invalid_argument, "register: name '" + std::string(name) + "' is taken");
  }
  {
    std::lock_guard lock(state->mu);
    if (!state->alive) return fail(Errc::invalid_argument, "register: the process is not alive");
    if (!state->name.empty()) {
      return fail(Errc::invalid_argument,
                  "register: the process is already registered as '" + state->name + "'");
    }
    state->name = std::string(name);
  }
  names_.emplace(std::string(name), state);
  return {};
}

bool ProcessTable::unregister_name(std::string_view name, const Pid* pid) {
  std::shared_ptr<ProcessState> state;
  {
    std::unique_lock names_lock(names_mu_);
    auto it = names_.find(std::string(name));
    if (it == names_.end() || (pid != nullptr && it->second->pid != *pid)) return false;
    state = std::move(it->second);
    names_.erase(it);
  }
  std::lock_guard lock(state->mu);
  if (state->name == name) state->name.clear();
  return true;
}

std::shared_ptr<ProcessState> ProcessTable::whereis(std::string_view name) const {
  std::shared_lock lock(names_mu_);
  auto it = names_.find(std::string(name));
  return it == names_.end() ? nullptr : it->second;
}

std::vector<std::string> ProcessTable::names() const {
  std::shared_lock lock(names_mu_);
  std::vector<std::string> out;
  for (const auto& [name, state] : names_) out.push_back(name);
  return out;
}

void ProcessTable::add_alias(const Reference& alias, const std::shared_ptr<ProcessState>& state) {
  std::unique_lock lock(aliases_mu_);
  aliases_[alias] = state;
}

void ProcessTable::remove_alias(const Reference& alias) {
  std::unique_lock lock(aliases_mu_);
  aliases_.erase(alias);
}

std::shared_ptr<ProcessState> ProcessTable::resolve_alias(const Reference& alias) const {
  std::shared_lock lock(aliases_mu_);
  auto it = aliases_.find(alias);
  return it == aliases_.end() ? nullptr : it->second.lock();
}

}  // namespace beamlink::node
