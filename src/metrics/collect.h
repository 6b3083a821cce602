// metrics/collect.h - what beamlink exports, as metric families: a node's
// NodeStats and NodeMetrics, and a cluster's topologies. Pure: snapshots
// in, families out (docs/metrics.md lists every name, type and label).
//
// Names follow Prometheus' conventions: the beamlink_ prefix, base units
// (_bytes, _seconds), _total on counters. Labels are bounded: peer (one
// per connection), topology and strategy, scope and group (bounded by
// NodeMetrics), cause and direction (fixed sets), name (registered names,
// bounded by NodeMetrics). Never a label per pid.
#pragma once

#include <string_view>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/node.h"
#include "beamlink/node_metrics.h"
#include "metrics/registry.h"

namespace beamlink::metrics {

void collect_node(std::string_view node_name, const NodeStats& stats, const NodeMetrics& metrics,
                  Registry& registry);
void collect_cluster(bool ready, const std::vector<TopologyStatus>& topologies, Registry& registry);

}  // namespace beamlink::metrics
