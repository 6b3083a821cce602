#include "node/global/resolution.h"

namespace beamlink::node::global {

ExchangePlan plan_exchange(const std::vector<NameEntry>& theirs, const NameLookup& ours,
                           const std::string& our_node, const std::string& their_node) {
  ExchangePlan plan;
  for (const NameEntry& entry : theirs) {
    std::optional<NameEntry> mine = ours(entry.name);
    if (!mine) {
      plan.ops.push_back(Op{true, entry});
    } else if (mine->pid == entry.pid) {
      continue;
    } else if (our_node < their_node) {
      plan.conflicts.push_back(Conflict{entry, *mine});
    }
    // else: the peer resolves this clash.
  }
  return plan;
}

void apply_outcome(const Conflict& conflict, const ResolveOutcome& outcome, ExchangePlan& plan) {
  using Kind = ResolveOutcome::Kind;
  if (outcome.kind == Kind::pid && outcome.pid == conflict.theirs.pid) {
    plan.ops.push_back(Op{true, conflict.theirs});
  } else if (outcome.kind == Kind::pid && outcome.pid == conflict.ours.pid) {
    plan.resolved.push_back(Op{true, conflict.ours});
  } else if (outcome.kind == Kind::bad_rpc) {
    plan.ops.push_back(Op{true, conflict.theirs});
  } else {
    Op del{false, NameEntry{conflict.theirs.name, Pid{}, Term()}};
    plan.ops.push_back(del);
    plan.resolved.push_back(del);
  }
}

std::pair<Pid, Pid> min_max_by_node(const Pid& a, const Pid& b) {
  if (a.node < b.node) return {a, b};
  return {b, a};
}

}  // namespace beamlink::node::global
