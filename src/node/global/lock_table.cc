#include "node/global/lock_table.h"

#include <algorithm>

namespace beamlink::node::global {

LockTable::SetOutcome LockTable::check(const Term& resource, const Term& requester,
                                       const Pid& pid) const {
  auto it = locks_.find(resource);
  if (it == locks_.end()) return SetOutcome::needs_monitor;
  if (!(it->second.requester == requester)) return SetOutcome::refused;
  bool held =
      std::ranges::any_of(it->second.holders, [&](const Holder& h) { return h.pid == pid; });
  return held ? SetOutcome::already_held : SetOutcome::needs_monitor;
}

bool LockTable::can_set(const Term& resource, const Term& requester) const {
  auto it = locks_.find(resource);
  return it == locks_.end() || it->second.requester == requester;
}

void LockTable::add(const Term& resource, const Term& requester, const Pid& pid,
                    Reference monitor) {
  auto [it, inserted] = locks_.try_emplace(resource, Lock{requester, {}});
  it->second.holders.push_back(Holder{pid, std::move(monitor)});
}

std::optional<Reference> LockTable::remove(const Term& resource, const Term& requester,
                                           const Pid& pid) {
  auto it = locks_.find(resource);
  if (it == locks_.end() || !(it->second.requester == requester)) return std::nullopt;
  auto& holders = it->second.holders;
  auto h = std::ranges::find_if(holders, [&](const Holder& x) { return x.pid == pid; });
  if (h == holders.end()) return std::nullopt;
  Reference monitor = std::move(h->monitor);
  holders.erase(h);
  if (holders.empty()) locks_.erase(it);
  return monitor;
}

bool LockTable::remove_monitor(const Reference& monitor) {
  for (auto it = locks_.begin(); it != locks_.end(); ++it) {
    auto& holders = it->second.holders;
    auto h = std::ranges::find_if(holders, [&](const Holder& x) { return x.monitor == monitor; });
    if (h == holders.end()) continue;
    holders.erase(h);
    if (holders.empty()) locks_.erase(it);
    return true;
  }
  return false;
}

bool LockTable::holds(const Term& resource, const Pid& pid) const {
  auto it = locks_.find(resource);
  return it != locks_.end() &&
         std::ranges::any_of(it->second.holders, [&](const Holder& h) { return h.pid == pid; });
}

std::optional<Term> LockTable::requester(const Term& resource) const {
  auto it = locks_.find(resource);
  if (it == locks_.end()) return std::nullopt;
  return it->second.requester;
}

}  // namespace beamlink::node::global
