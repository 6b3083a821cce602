// beamlink/node_events.h - nodeup/nodedown events of a beamlink Node, the
// C++ form of net_kernel:monitor_nodes(true, [nodedown_reason,
// {node_type, all}]).
//
// Handlers run on a distribution thread, in order for one peer (up before
// its down); they must not block for long. Node::monitor_nodes delivers the
// same events to a process as Erlang-shaped messages instead:
//   {nodeup, Node, [{node_type, visible | hidden}]}
//   {nodedown, Node, [{node_type, visible | hidden}, {nodedown_reason, R}]}
#pragma once

#include <functional>
#include <string>

namespace beamlink {

struct NodeEvent {
  enum class Kind { up, down };
  Kind kind = Kind::up;
  std::string node;  // "name@host"
  bool hidden = false;
  // For down: the nodedown_reason atom Erlang uses (connection_closed,
  // disconnect, net_tick_timeout, shutdown) and the distribution layer's
  // own words for it.
  std::string reason;
  std::string detail;
};

using NodeEventHandler = std::function<void(const NodeEvent&)>;

}  // namespace beamlink
