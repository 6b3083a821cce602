#include "node_service.h"

#include <cstdio>

#include "beamlink/metrics.h"
#include "log_line.h"
#include "node_flags.h"

namespace beamlink::cli {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

Result<config::NodeConfig> load_node_config(const std::string& path) {
  config::NodeConfig config;
  if (!path.empty()) {
    auto loaded = config::load_config_file(path);
    if (!loaded) return std::unexpected(loaded.error());
    config = std::move(*loaded);
  }
  if (auto env = config::apply_env(config, config::process_env()); !env) {
    return std::unexpected(env.error());
  }
  return config;
}

Result<std::unique_ptr<NodeService>> NodeService::start(
    config::NodeConfig config, const std::function<Result<void>(Node&)>& setup,
    const std::string& area) {
  std::unique_ptr<NodeService> service(new NodeService());
  if (auto ran = service->run(std::move(config), setup, area); !ran) {
    service->stop();
    return std::unexpected(ran.error());
  }
  return service;
}

NodeService::~NodeService() {
  stop();
}

Result<void> NodeService::run(config::NodeConfig config,
                              const std::function<Result<void>(Node&)>& setup,
                              const std::string& area) {
  auto options = node_options_from(config.node, area);
  if (!options) return std::unexpected(options.error());
  // A topology that disconnects nodes leaving its set is the authority on
  // membership: global's connect_all would connect them again through any
  // peer that still sees them. So connect_all defaults to off then (gossip
  // never disconnects); an explicit node.connect_all wins.
  if (!config.node.connect_all) {
    for (const auto& topology : config.topologies) {
      if (topology.strategy != "gossip") options->connect_all = false;
    }
  }
  if (auto valid = Cluster::validate(config.topologies); !valid) {
    return std::unexpected(valid.error());
  }
  LogLevel level = config.node.log_level.value_or(LogLevel::info);
  uint16_t epmd_port = options->epmd_port;
  std::string name = options->name;
  if (config.node.epmd_daemon.value_or(false) && options->use_epmd) {
    epmd::ServerOptions daemon;
    if (options->listen_address != "0.0.0.0") daemon.addresses = {options->listen_address};
    daemon.port = epmd_port != 0 ? epmd_port : epmd::default_port();
    auto started = epmd::Server::start(daemon);
    if (started) {
      epmd_ = std::move(*started);
      log_line("info", area,
               "EPMD daemon on " + (daemon.addresses.empty() ? "*" : daemon.addresses[0]) + ":" +
                   std::to_string(epmd_->port()));
    } else {
      // As erl does when epmd already runs: use the one that is there.
      log_line("info", area,
               "EPMD daemon not started (" + started.error().message + "); using the running one");
    }
  }
  auto node = Node::start(std::move(*options));
  if (!node) {
    return fail(node.error().code, "cannot start node " + name + ": " + node.error().message);
  }
  node_ = std::move(*node);
  if (setup) {
    if (auto done = setup(*node_); !done) return done;
  }
  log_line("info", area,
           "node " + node_->name() + " up, distribution port " +
               std::to_string(node_->listen_port()) + ", creation " +
               std::to_string(node_->creation()));

  // The health endpoint comes up before the startup wait, answering 503 on
  // /readyz until the wait is over: a probe never blocks on formation.
  if (config.node.health_port) {
    HealthOptions health_options;
    health_options.address = config.node.health_address.value_or("127.0.0.1");
    health_options.port = *config.node.health_port;
    health_options.ready = [this] { return ready_.load(); };
    health_options.status_json = [this] { return status_json(); };
    health_options.metrics_text = [this] {
      std::lock_guard lock(cluster_mutex_);
      return metrics_text(*node_, cluster_.get());
    };
    auto started = HealthServer::start(std::move(health_options));
    if (!started) return std::unexpected(started.error());
    health_ = std::move(*started);
    log_line("info", area,
             "health endpoint on " + config.node.health_address.value_or("127.0.0.1") + ":" +
                 std::to_string(health_->port()) + " (/healthz, /readyz, /status, /metrics)");
  }

  if (!config.topologies.empty()) {
    ClusterOptions cluster_options;
    cluster_options.topologies = config.topologies;
    cluster_options.reconciler = config.reconciler;
    cluster_options.startup = config.startup;
    cluster_options.epmd_port = epmd_port;
    cluster_options.logger = [level](LogLevel at, std::string_view topology,
                                     std::string_view message) {
      if (at < level) return;
      const char* names[] = {"debug", "info", "warning", "error"};
      log_line(names[static_cast<int>(at)], topology, message);
    };
    auto started = Cluster::start(*node_, std::move(cluster_options));
    if (!started) return std::unexpected(started.error());
    std::lock_guard lock(cluster_mutex_);
    cluster_ = std::move(*started);
  }
  ready_ = true;
  log_line("info", area, "ready");
  return {};
}

void NodeService::stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_ = false;  // out of rotation first
  {
    std::lock_guard lock(cluster_mutex_);
    if (cluster_) cluster_->stop();
  }
  if (node_) node_->stop();  // also ends connects the reconciler still has in flight
  {
    std::lock_guard lock(cluster_mutex_);
    cluster_.reset();
  }
  if (health_) health_->stop();
  if (epmd_) epmd_->stop();
}

std::string NodeService::status_json() const {
  std::string out = "{\"node\":" + json_string(node_->name()) +
                    ",\"ready\":" + (ready_ ? "true" : "false") + ",\"peers\":[";
  auto peers = node_->nodes(NodeKind::visible);
  for (size_t i = 0; i < peers.size(); ++i) out += (i ? "," : "") + json_string(peers[i]);
  out += "],\"topologies\":[";
  std::lock_guard lock(cluster_mutex_);
  if (cluster_) {
    auto topologies = cluster_->status();
    for (size_t i = 0; i < topologies.size(); ++i) {
      const auto& t = topologies[i];
      out += (i ? ",{" : "{");
      out += "\"name\":" + json_string(t.name) + ",\"strategy\":" + json_string(t.strategy);
      out += ",\"desired\":[";
      for (size_t j = 0; j < t.desired.size(); ++j) {
        out += (j ? "," : "") + json_string(t.desired[j]);
      }
      out += "],\"connects\":" + std::to_string(t.connects) +
             ",\"connect_failures\":" + std::to_string(t.connect_failures) +
             ",\"disconnects\":" + std::to_string(t.disconnects) +
             ",\"discovery_errors\":" + std::to_string(t.discovery_errors) +
             ",\"dropped_packets\":" + std::to_string(t.dropped_packets) +
             ",\"last_error\":" + json_string(t.last_error) + "}";
    }
  }
  return out + "]}";
}

}  // namespace beamlink::cli
