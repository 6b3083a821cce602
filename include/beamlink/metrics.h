// beamlink/metrics.h - a node's metrics (and its cluster's) in the
// Prometheus text exposition format, for a /metrics endpoint
// (HealthOptions::metrics_text) or anything else that scrapes text.
//
// Contract: metrics_text takes one snapshot (Node::stats(),
// Node::metrics(), Cluster::status()) and renders it; it may be called
// from any thread, at any rate, and holds no node lock while it renders.
// Families come in name order and samples in label order, so two calls on
// an idle node give the same text. The names, types and labels are listed
// in docs/metrics.md; the output passes `promtool check metrics`.
// REQUIRES: the Node (and Cluster) outlive the call.
#pragma once

#include <string>
#include <string_view>

namespace beamlink {

class Node;
class Cluster;

// The Content-Type a /metrics answer carries.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The node's metrics and, with a cluster, its topologies'.
std::string metrics_text(const Node& node, const Cluster* cluster = nullptr);

}  // namespace beamlink
