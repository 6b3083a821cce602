// metrics_text: one snapshot of a node (and cluster), rendered.
#include "beamlink/metrics.h"
#include "metrics/collect.h"
#include "metrics/text_format.h"

namespace beamlink {

std::string metrics_text(const Node& node, const Cluster* cluster) {
  metrics::Registry registry;
  metrics::collect_node(node.name(), node.stats(), node.metrics(), registry);
  if (cluster != nullptr) metrics::collect_cluster(cluster->ready(), cluster->status(), registry);
  return metrics::encode_text(registry);
}

}  // namespace beamlink
