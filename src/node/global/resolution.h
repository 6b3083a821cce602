// node/global/resolution.h - the name exchange of global's connect
// protocol: which of a peer's names are new, equal or in conflict with
// ours, and what a conflict's outcome turns into (global.erl's
// exchange_names). Pure: the caller runs the resolve functions.
//
// Conflicts are resolved on the node whose name sorts first (node() <
// Node), so exactly one side of a connect resolves each clash.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/global/messages.h"

namespace beamlink::node::global {

struct Conflict {
  NameEntry theirs;  // from the peer's exchange list
  NameEntry ours;    // our registration of the same name
};

struct ExchangePlan {
  std::vector<Op> ops;              // applied here and sent to our partition
  std::vector<Op> resolved;         // sent to the peer as its resolved ops
  std::vector<Conflict> conflicts;  // to resolve (only when we are the smaller node)
};

using NameLookup = std::function<std::optional<NameEntry>(const Term& name)>;

ExchangePlan plan_exchange(const std::vector<NameEntry>& theirs, const NameLookup& ours,
                           const std::string& our_node, const std::string& their_node);

// What the resolve function answered for a conflict.
struct ResolveOutcome {
  enum class Kind { pid, none, bad_rpc, other } kind = Kind::none;
  Pid pid;  // for Kind::pid
};
void apply_outcome(const Conflict& conflict, const ResolveOutcome& outcome, ExchangePlan& plan);

// global:random_exit_name's order: {the pid on the smaller node, the other}.
std::pair<Pid, Pid> min_max_by_node(const Pid& a, const Pid& b);

}  // namespace beamlink::node::global
