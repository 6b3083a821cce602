// service/status_json.h - the body of /status and /readyz: node, ready,
// visible peers and, per topology, its desired set and counters. Pure.
//
//   {"node":"a@h","ready":true,"peers":["b@h"],"topologies":[{"name":"k8s",
//    "strategy":"kubernetes","desired":[...],"connects":1,"connect_failures":0,
//    "disconnects":0,"discovery_errors":0,"dropped_packets":0,"last_error":""}]}
#pragma once

#include <string>
#include <vector>

#include "beamlink/cluster.h"

namespace beamlink::service {

std::string status_json(const std::string& node, bool ready, const std::vector<std::string>& peers,
                        const std::vector<TopologyStatus>& topologies);

}  // namespace beamlink::service
