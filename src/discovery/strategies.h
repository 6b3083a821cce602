// discovery/strategies.h - the factory of each built-in strategy; the
// strategy table (strategy_table.cc) lists them. Each validates the
// topology's options and builds the strategy without starting it.
#pragma once

#include <memory>

#include "beamlink/cluster.h"
#include "beamlink/result.h"
#include "discovery/strategy.h"

namespace beamlink::discovery {

Result<std::unique_ptr<Strategy>> make_epmd_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_erlang_hosts_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_local_epmd_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_gossip_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_kubernetes_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_kubernetes_dns_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_kubernetes_dnssrv_strategy(const TopologySpec& spec);
Result<std::unique_ptr<Strategy>> make_dns_poll_strategy(const TopologySpec& spec);

}  // namespace beamlink::discovery
