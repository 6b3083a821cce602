// node/node_testing.h - starting a Node over an injected distribution layer.
// Not installed: tests build in-memory networks of nodes with it
// (tests/node/fake_network.h), which the public NodeOptions must not show.
//
// Contract: as Node::start, except that `factory` (when not empty) makes
// the distribution layer instead of dist::Distribution::start. The factory
// is called once, on the calling thread, before start_node returns.
#pragma once

#include <functional>
#include <memory>

#include "beamlink/node.h"
#include "beamlink/result.h"
#include "dist/distribution.h"

namespace beamlink::node {

using DistributionFactory = std::function<Result<std::unique_ptr<dist::Distribution>>(
    const dist::DistOptions&, dist::DistSink&)>;

Result<std::unique_ptr<Node>> start_node(NodeOptions options, DistributionFactory factory);

}  // namespace beamlink::node
