// service/cluster_json.h - the body of /cluster, which the cluster page
// (web/) draws: the cluster as this node sees it. Pure.
//
//   {"node":"a@h","ready":true,
//    "dist":{"connects_outgoing":2,"connects_incoming":1,"connect_failures":0,
//            "disconnects":0,"handshake_failures":0},
//    "nodes":[{"name":"b@h","connected":true,"hidden":false,
//              "topologies":["static"],"messages_in":5,"messages_out":4,
//              "bytes_in":900,"bytes_out":700,"queue_bytes":0,"dropped":0}],
//    "topologies":[...as in /status...]}
//
// "nodes" is every connected peer and every node a topology wants that is
// not connected ("connected":false, counters 0), sorted by name; this node
// itself is not in it. A node is listed once whatever number of
// topologies name it.
#pragma once

#include <string>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/node_metrics.h"

namespace beamlink::service {

std::string cluster_json(const std::string& node, bool ready, const NodeMetrics& metrics,
                         const std::vector<TopologyStatus>& topologies);

}  // namespace beamlink::service
