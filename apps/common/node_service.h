// node_service.h - a node run the way `beamlink node` runs it, for the CLI
// and for applications built on beamlink (apps/worker): the node from its
// merged settings, the health endpoint, the topologies, and a clean leave.
//
// Order at start: the in-process EPMD daemon (node.epmd_daemon), the node (and `setup`, where the
// application registers its processes and functions before anyone can reach them), then the health
// endpoint (503 on /readyz), then the cluster with its startup wait, then ready. Order at stop: not
// ready (out of rotation), topologies stopped, node stopped (connections closed: peers see nodedown
// at once), health endpoint and EPMD closed.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "beamlink/cluster.h"
#include "beamlink/epmd.h"
#include "beamlink/health.h"
#include "beamlink/node.h"
#include "beamlink/result.h"
#include "config/node_config.h"

namespace beamlink::cli {

// The config file (if any) with the environment applied over it. Errors
// are one line, ready to print.
Result<config::NodeConfig> load_node_config(const std::string& path);

class NodeService {
 public:
  // `area` names the node's log lines ("[beamlink:node]").
  static Result<std::unique_ptr<NodeService>> start(
      config::NodeConfig config, const std::function<Result<void>(Node&)>& setup = {},
      const std::string& area = "node");
  ~NodeService();

  Node& node() { return *node_; }
  bool ready() const { return ready_.load(); }
  uint16_t health_port() const { return health_ ? health_->port() : 0; }
  std::string status_json() const;
  void stop();

 private:
  NodeService() = default;
  Result<void> run(config::NodeConfig config, const std::function<Result<void>(Node&)>& setup,
                   const std::string& area);

  std::unique_ptr<epmd::Server> epmd_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<HealthServer> health_;
  mutable std::mutex cluster_mutex_;
  std::unique_ptr<Cluster> cluster_;
  std::atomic<bool> ready_{false};
  bool stopped_ = false;
};

// A JSON string literal for `text`.
std::string json_string(std::string_view text);

}  // namespace beamlink::cli
