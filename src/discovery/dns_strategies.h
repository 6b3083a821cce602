// discovery/dns_strategies.h - the DNS strategies (kubernetes_dns,
// kubernetes_dnssrv, dns_poll) with the resolver passed in, so tests can
// answer for DNS. The strategy table uses the c-ares resolver through the
// factories in strategies.h.
#pragma once

#include <functional>
#include <memory>

#include "beamlink/cluster.h"
#include "beamlink/result.h"
#include "discovery/dns_resolver.h"
#include "discovery/strategy.h"

namespace beamlink::discovery {

// Makes the resolver when the strategy starts, on the strategy's io().
using DnsResolverFactory = std::function<Result<std::unique_ptr<DnsResolver>>(
    asio::io_context& io, const DnsResolverOptions& options)>;

enum class DnsStrategyKind { kubernetes_dns, kubernetes_dnssrv, dns_poll };

// Checks the topology's options for `kind` and builds the strategy without
// starting it.
Result<std::unique_ptr<Strategy>> make_dns_strategy(DnsStrategyKind kind, const TopologySpec& spec,
                                                    DnsResolverFactory resolvers);

}  // namespace beamlink::discovery
