// discovery/strategy_table.h - the one table of strategies, keyed by name.
//
// No static-initializer registration: adding a strategy means adding a row
// to the table in strategy_table.cc. `create` validates the options (via
// OptionReader) and builds the strategy without starting it.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "beamlink/cluster.h"
#include "beamlink/result.h"
#include "discovery/strategy.h"

namespace beamlink::discovery {

struct StrategyEntry {
  std::string_view name;
  std::string_view summary;
  Result<std::unique_ptr<Strategy>> (*create)(const TopologySpec& spec);
};

std::span<const StrategyEntry> strategy_table();

// Looks the strategy up and creates it; unknown names list the known ones.
Result<std::unique_ptr<Strategy>> create_strategy(const TopologySpec& spec);

}  // namespace beamlink::discovery
