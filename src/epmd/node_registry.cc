#include "epmd/node_registry.h"

#include <random>

namespace beamlink::epmd {
namespace {

constexpr uint32_t kFirstNewStyleCreation = 4;

uint32_t random_creation() {
  std::random_device device;
  std::uniform_int_distribution<uint32_t> pick(kFirstNewStyleCreation, UINT32_MAX);
  return pick(device);
}

}  // namespace

NodeRegistry::NodeRegistry(uint32_t first_creation)
    : creation_(first_creation == 0 ? random_creation() : first_creation) {}

uint32_t NodeRegistry::next_creation_locked() {
  if (creation_ < kFirstNewStyleCreation) creation_ = kFirstNewStyleCreation;
  return creation_++;  // wraps to 0 after UINT32_MAX; corrected on the next call
}

Result<uint32_t> NodeRegistry::add(const NodeInfo& node, std::string peer, ConnectionId owner) {
  std::lock_guard lock(mutex_);
  if (by_name_.contains(node.name)) {
    return fail(Errc::refused, "node name '" + node.name + "' is already registered");
  }
  const uint32_t creation = next_creation_locked();
  by_name_.emplace(node.name, Entry{RegisteredNode{node, creation, std::move(peer)}, owner});
  return creation;
}

std::optional<std::string> NodeRegistry::release(ConnectionId owner) {
  std::lock_guard lock(mutex_);
  for (auto it = by_name_.begin(); it != by_name_.end(); ++it) {
    if (it->second.owner == owner) {
      std::string name = it->first;
      by_name_.erase(it);
      return name;
    }
  }
  return std::nullopt;
}

std::optional<ConnectionId> NodeRegistry::release_name(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  ConnectionId owner = it->second.owner;
  by_name_.erase(it);
  return owner;
}

std::optional<NodeInfo> NodeRegistry::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second.row.node;
}

std::vector<RegisteredNode> NodeRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<RegisteredNode> rows;
  rows.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) rows.push_back(entry.row);
  return rows;
}

std::vector<std::pair<RegisteredNode, ConnectionId>> NodeRegistry::snapshot_with_owners() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<RegisteredNode, ConnectionId>> rows;
  rows.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) rows.emplace_back(entry.row, entry.owner);
  return rows;
}

bool NodeRegistry::empty() const {
  std::lock_guard lock(mutex_);
  return by_name_.empty();
}

}  // namespace beamlink::epmd
