// Connections coming and going: the connection map, nodeup/nodedown
// events for subscribers and monitor_nodes processes, and the signals a
// lost connection causes.
#include <utility>

#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

// Erlang's nodedown_reason for what the distribution layer reported.
std::string nodedown_reason(const std::string& detail, bool by_us, bool stopping) {
  if (stopping) return "net_kernel_terminated";
  if (by_us) return "disconnect";
  if (detail.find("tick") != std::string::npos || detail.find("liveness") != std::string::npos ||
      detail.find("timeout") != std::string::npos) {
    return "net_tick_timeout";
  }
  return "connection_closed";
}

Term node_type(bool hidden) {
  return tuple(atom("node_type"), atom(hidden ? "hidden" : "visible"));
}

}  // namespace

void Runtime::connection_up(const std::shared_ptr<dist::Connection>& connection) {
  wait_ready();
  const dist::PeerInfo& peer = connection->peer();
  {
    std::unique_lock lock(connections_mu_);
    connections_[peer.name] = connection;
    disconnecting_.erase(peer.name);
  }
  log(LogLevel::info, "nodeup " + peer.name + (peer.hidden ? " (hidden)" : ""));
  notify_node_event(NodeEvent{NodeEvent::Kind::up, peer.name, peer.hidden, "", ""});
}

void Runtime::connection_down(const std::shared_ptr<dist::Connection>& connection,
                              const std::string& reason) {
  wait_ready();
  flush_batches();  // the peer's last messages go in before its down signals
  const dist::PeerInfo& peer = connection->peer();
  bool by_us = false;
  {
    std::unique_lock lock(connections_mu_);
    auto it = connections_.find(peer.name);
    if (it == connections_.end() || it->second != connection) return;  // a stale one
    connections_.erase(it);
    by_us = disconnecting_.erase(peer.name) > 0;
  }
  log(LogLevel::info, "nodedown " + peer.name + ": " + reason);
  node_down_signals(peer.name);
  notify_node_event(NodeEvent{NodeEvent::Kind::down, peer.name, peer.hidden,
                              nodedown_reason(reason, by_us, stopped_.load()), reason});
}

void Runtime::notify_node_event(const NodeEvent& event) {
  std::vector<NodeEventHandler> handlers;
  std::vector<Pid> monitors;
  {
    std::lock_guard lock(events_mu_);
    for (const auto& [id, handler] : event_handlers_) handlers.push_back(handler);
    monitors = node_monitors_;
  }
  for (const NodeEventHandler& handler : handlers) {
    guard_callback("a node event handler", [&] { handler(event); });
  }
  if (monitors.empty()) return;
  Term message =
      event.kind == NodeEvent::Kind::up
          ? tuple(atom("nodeup"), atom(event.node), Term::list({node_type(event.hidden)}))
          : tuple(atom("nodedown"), atom(event.node),
                  Term::list({node_type(event.hidden),
                              tuple(atom("nodedown_reason"), atom(event.reason))}));
  for (const Pid& pid : monitors) {
    if (Ptr p = find_local(pid)) push(p, message);
  }
}

uint64_t Runtime::subscribe_node_events(NodeEventHandler handler) {
  std::lock_guard lock(events_mu_);
  uint64_t id = next_event_handler_++;
  event_handlers_.emplace(id, std::move(handler));
  return id;
}

void Runtime::unsubscribe_node_events(uint64_t id) {
  std::lock_guard lock(events_mu_);
  event_handlers_.erase(id);
}

Result<void> Runtime::monitor_nodes(const Pid& pid, bool on) {
  Ptr p = find_local(pid);
  if (on && p == nullptr) {
    return fail(Errc::invalid_argument, "monitor_nodes: not a live local process");
  }
  if (p != nullptr) {
    std::lock_guard lock(p->mu);
    p->node_monitor = on && p->alive;
  }
  std::lock_guard lock(events_mu_);
  std::erase(node_monitors_, pid);
  if (on) node_monitors_.push_back(pid);
  return {};
}

}  // namespace beamlink::node
