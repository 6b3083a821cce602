// What the kernel built-ins (erlang:processes/0, process_info/1,2 and
// friends) may read of the local processes: copies taken under each
// process's own lock, never references into live state.
#include <algorithm>
#include <tuple>

#include "node/runtime.h"

namespace beamlink::node {

std::optional<Runtime::ProcessSnapshot> Runtime::process_snapshot(const Pid& pid) const {
  Ptr state = find_local(pid);
  if (state == nullptr) return std::nullopt;
  ProcessSnapshot out;
  out.pid = state->pid;
  out.message_queue_len = state->mailbox.size();  // the mailbox locks itself; not under mu
  std::lock_guard lock(state->mu);
  if (!state->alive) return std::nullopt;
  out.name = state->name;
  out.trap_exit = state->trap_exit;
  for (const auto& [other, link] : state->links) {
    if (link.unlinking == 0) out.links.push_back(other);
  }
  for (const auto& [ref, monitor] : state->monitors_out) out.monitors.push_back(monitor.object);
  for (const auto& [ref, monitor] : state->monitors_in) out.monitored_by.push_back(monitor.watcher);
  return out;
}

std::vector<Pid> Runtime::process_pids() const {
  std::vector<Pid> pids;
  if (!table_) return pids;
  for (const Ptr& state : table_->all()) {
    if (state->alive.load(std::memory_order_relaxed)) pids.push_back(state->pid);
  }
  std::sort(pids.begin(), pids.end(), [](const Pid& a, const Pid& b) {
    return std::tie(a.serial, a.id) < std::tie(b.serial, b.id);
  });
  return pids;
}

std::vector<std::string> Runtime::registered_names() const {
  std::vector<std::string> names = table_ ? table_->names() : std::vector<std::string>{};
  std::sort(names.begin(), names.end());
  return names;
}

NodeMetrics Runtime::metrics() const {
  NodeMetrics out;
  if (dist_) out.dist = dist_->metrics();
  std::vector<std::shared_ptr<dist::Connection>> connections;
  {
    std::shared_lock lock(connections_mu_);
    connections.reserve(connections_.size());
    for (const auto& [name, connection] : connections_) connections.push_back(connection);
  }
  // Outside the table lock: each takes its connection's queue lock.
  for (const auto& connection : connections) out.peers.push_back(connection->metrics());
  std::sort(out.peers.begin(), out.peers.end(),
            [](const PeerMetrics& a, const PeerMetrics& b) { return a.peer < b.peer; });
  if (!table_) return out;
  for (const Ptr& state : table_->all()) {
    const uint64_t length = state->mailbox.size();
    out.mailboxes.messages += length;
    out.mailboxes.max_messages = std::max(out.mailboxes.max_messages, length);
  }
  for (const std::string& name : registered_names()) {
    if (out.mailboxes.named.size() == kMaxNamedMailboxes) break;
    if (Ptr state = table_->whereis(name)) {
      out.mailboxes.named.push_back(NamedMailbox{name, state->mailbox.size()});
    }
  }
  return out;
}

size_t Runtime::processes_with_messages() const {
  if (!table_) return 0;
  size_t count = 0;
  for (const Ptr& state : table_->all()) {
    if (state->mailbox.size() > 0) ++count;
  }
  return count;
}

}  // namespace beamlink::node
