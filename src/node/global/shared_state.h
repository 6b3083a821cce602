// node/global/shared_state.h - the part of global's state that more than
// one thread reads: the name table, the lock table and the known nodes.
// The global_name_server process is the only writer; the locker thread and
// the public API (whereis, registered names, lock probes) read it.
//
// Thread safety: every access holds `mu` (short map operations only; no
// call out while holding it).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "beamlink/term.h"
#include "node/global/lock_table.h"
#include "node/global/messages.h"

namespace beamlink::node::global {

// Decides a name clash found when two partitions meet (see beamlink/global.h).
using ResolvePolicy =
    std::function<std::optional<Pid>(const Term& name, const Pid& pid1, const Pid& pid2)>;

struct SharedState {
  struct Registration {
    NameEntry entry;
    Reference monitor;
  };

  mutable std::mutex mu;
  std::map<Term, Registration> names;
  LockTable locks;
  std::map<std::string, int64_t> known;  // node -> global protocol version
  ResolvePolicy policy;                  // may be empty: random_exit_name
  std::atomic<bool> stopping{false};     // no lost_connection while stopping

  std::optional<Pid> whereis(const Term& name) const {
    std::lock_guard lock(mu);
    auto it = names.find(name);
    if (it == names.end()) return std::nullopt;
    return it->second.entry.pid;
  }
  std::vector<std::string> known_nodes() const {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& [node, vsn] : known) out.push_back(node);
    return out;
  }
};

}  // namespace beamlink::node::global
