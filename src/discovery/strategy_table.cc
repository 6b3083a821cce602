#include "discovery/strategy_table.h"

#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

// The one registration table. Names are libcluster's strategy names in
// snake case (Cluster.Strategy.Epmd -> "epmd").
constexpr StrategyEntry kStrategies[] = {
    {"epmd", "a static list of name@host", make_epmd_strategy},
    {"erlang_hosts", "hosts from .hosts.erlang, names from each host's EPMD",
     make_erlang_hosts_strategy},
    {"local_epmd", "every node registered with the local EPMD", make_local_epmd_strategy},
    {"gossip", "UDP multicast heartbeats (libcluster's Gossip wire format)", make_gossip_strategy},
    {"kubernetes", "the Kubernetes API: endpoints, endpointslices or pods by label selector",
     make_kubernetes_strategy},
    {"kubernetes_dns", "A/AAAA records of a headless service: app@<pod ip>",
     make_kubernetes_dns_strategy},
    {"kubernetes_dnssrv", "SRV records of a StatefulSet's headless service: app@<pod name>",
     make_kubernetes_dnssrv_strategy},
    {"dns_poll", "A/AAAA records of any name: basename@<ip>", make_dns_poll_strategy},
};

}  // namespace

std::span<const StrategyEntry> strategy_table() {
  return kStrategies;
}

Result<std::unique_ptr<Strategy>> create_strategy(const TopologySpec& spec) {
  for (const auto& entry : kStrategies) {
    if (entry.name == spec.strategy) return entry.create(spec);
  }
  std::string known;
  for (const auto& entry : kStrategies) {
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  return fail(Errc::invalid_argument, "topology '" + spec.name + "': unknown strategy '" +
                                          spec.strategy + "' (known: " + known + ")");
}

}  // namespace beamlink::discovery

namespace beamlink {

std::vector<std::string> strategy_names() {
  std::vector<std::string> names;
  for (const auto& entry : discovery::strategy_table()) names.emplace_back(entry.name);
  return names;
}

}  // namespace beamlink
