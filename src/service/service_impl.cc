// beamlink::Service (beamlink/service.h): the composition root. Builds the
// configuration (service_config.h), the node's options (node_options.h)
// and the log sink (log_sink.h), then starts and stops the parts in the
// order the header states.
#include <atomic>
#include <mutex>

#include "beamlink/epmd.h"
#include "beamlink/health.h"
#include "beamlink/metrics.h"
#include "beamlink/service.h"
#include "service/cluster_json.h"
#include "service/json_string.h"
#include "service/log_sink.h"
#include "service/node_options.h"
#include "service/service_config.h"
#include "service/status_json.h"

namespace beamlink {
namespace {

// What start() and check() both make of the options before starting anything.
struct Prepared {
  config::NodeConfig config;
  NodeOptions node;
  Logger logger;
};

Result<Prepared> prepare(const ServiceOptions& options) {
  auto config = service::load_service_config(options);
  if (!config) return std::unexpected(config.error());
  Prepared prepared;
  prepared.config = std::move(*config);
  const config::NodeSettings& settings = prepared.config.node;
  prepared.logger =
      service::make_log_sink(settings.log_format.value_or(LogFormat::text),
                             settings.log_level.value_or(LogLevel::info), options.log_output);
  // The node's own lines carry the service's area ("[beamlink:worker]").
  Logger node_logger = [sink = prepared.logger, area = options.area](
                           LogLevel level, std::string_view, std::string_view message) {
    sink(level, area, message);
  };
  const config::EnvLookup env = options.env ? options.env : config::process_env();
  auto node = service::node_options_from(settings, std::move(node_logger), env);
  if (!node) return std::unexpected(node.error());
  prepared.node = std::move(*node);
  // A topology that disconnects nodes leaving its set is the authority on
  // membership: global's connect_all would connect them again through any
  // peer that still sees them. So connect_all defaults to off then (gossip
  // never disconnects); an explicit node.connect_all wins.
  if (!settings.connect_all) {
    for (const auto& topology : prepared.config.topologies) {
      if (topology.strategy != "gossip") prepared.node.connect_all = false;
    }
  }
  if (auto valid = Cluster::validate(prepared.config.topologies); !valid) {
    const std::string& source = prepared.config.source;
    return fail(valid.error().code, (source.empty() ? "" : source + ": ") + valid.error().message);
  }
  return prepared;
}

class ServiceImpl final : public Service {
 public:
  explicit ServiceImpl(std::string area) : area_(std::move(area)) {}
  ~ServiceImpl() override { stop(); }

  Result<void> run(Prepared prepared, const std::function<Result<void>(Service&)>& setup);

  Node& node() override { return *node_; }
  bool ready() const override { return ready_.load(); }
  uint16_t health_port() const override { return health_ ? health_->port() : 0; }
  std::vector<TopologyStatus> topologies() const override {
    std::lock_guard lock(cluster_mutex_);
    return cluster_ ? cluster_->status() : std::vector<TopologyStatus>{};
  }
  std::string status_json() const override {
    return service::status_json(node_->name(), ready_.load(), node_->nodes(NodeKind::visible),
                                topologies());
  }
  const Logger& logger() const override { return logger_; }

  std::string wait_for_stop_signal() override { return *beamlink::wait_for_stop_signal(); }
  std::string run_until_stop_signal() override {
    std::string signal = wait_for_stop_signal();
    log(LogLevel::info, "stopping on " + signal);
    stop();
    log(LogLevel::info, "stopped");
    return signal;
  }
  void stop() override;

 private:
  void log(LogLevel level, std::string_view message) const { logger_(level, area_, message); }
  void start_epmd_daemon(const NodeOptions& node);
  // nodeup/nodedown to the cluster page's event stream (/events).
  void publish_node_events();
  // Every callback of the health endpoint is set here, and only here.
  HealthOptions health_options(const config::NodeSettings& settings);

  const std::string area_;
  Logger logger_;
  std::unique_ptr<epmd::Server> epmd_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<HealthServer> health_;
  uint64_t node_events_ = 0;  // subscription id; 0: none
  mutable std::mutex cluster_mutex_;
  std::unique_ptr<Cluster> cluster_;
  std::atomic<bool> ready_{false};
  std::once_flag stop_once_;
};

HealthOptions ServiceImpl::health_options(const config::NodeSettings& settings) {
  HealthOptions options;
  options.address = settings.health_address.value_or("127.0.0.1");
  options.port = settings.health_port.value_or(0);
  options.ready = [this] { return ready_.load(); };
  options.status_json = [this] { return status_json(); };
  options.metrics_text = [this] {
    std::lock_guard lock(cluster_mutex_);
    return metrics_text(*node_, cluster_.get());
  };
  options.cluster_json = [this] {
    return service::cluster_json(node_->name(), ready_.load(), node_->metrics(), topologies());
  };
  return options;
}

void ServiceImpl::publish_node_events() {
  node_events_ = node_->subscribe_node_events([health = health_.get()](const NodeEvent& event) {
    const bool up = event.kind == NodeEvent::Kind::up;
    health->publish_event(up ? "nodeup" : "nodedown",
                          "{\"node\":" + service::json_string(event.node) +
                              ",\"hidden\":" + (event.hidden ? "true" : "false") +
                              ",\"reason\":" + service::json_string(event.reason) +
                              ",\"detail\":" + service::json_string(event.detail) + "}");
  });
}

void ServiceImpl::start_epmd_daemon(const NodeOptions& node) {
  epmd::ServerOptions daemon;
  if (node.listen_address != "0.0.0.0") daemon.addresses = {node.listen_address};
  daemon.port = node.epmd_port != 0 ? node.epmd_port : epmd::default_port();
  daemon.logger = logger_;
  auto started = epmd::Server::start(daemon);
  if (started) {
    epmd_ = std::move(*started);
    log(LogLevel::info, "EPMD daemon on " + (daemon.addresses.empty() ? "*" : daemon.addresses[0]) +
                            ":" + std::to_string(epmd_->port()));
  } else {
    // As erl does when epmd already runs: use the one that is there.
    log(LogLevel::info,
        "EPMD daemon not started (" + started.error().message + "); using the running one");
  }
}

Result<void> ServiceImpl::run(Prepared prepared,
                              const std::function<Result<void>(Service&)>& setup) {
  logger_ = prepared.logger;
  const config::NodeConfig& config = prepared.config;
  const uint16_t epmd_port = prepared.node.epmd_port;
  const std::string name = prepared.node.name;
  if (config.node.epmd_daemon.value_or(false) && prepared.node.use_epmd) {
    start_epmd_daemon(prepared.node);
  }
  auto node = Node::start(std::move(prepared.node));
  if (!node) {
    return fail(node.error().code, "cannot start node " + name + ": " + node.error().message);
  }
  node_ = std::move(*node);
  if (setup) {
    if (auto done = setup(*this); !done) return done;
  }
  log(LogLevel::info, "node " + node_->name() + " up, distribution port " +
                          std::to_string(node_->listen_port()) + ", creation " +
                          std::to_string(node_->creation()));

  // The health endpoint comes up before the startup wait, answering 503 on
  // /readyz until the wait is over: a probe never blocks on formation.
  if (config.node.health_port) {
    auto started = HealthServer::start(health_options(config.node));
    if (!started) return std::unexpected(started.error());
    health_ = std::move(*started);
    publish_node_events();
    log(LogLevel::info, "health endpoint on " + config.node.health_address.value_or("127.0.0.1") +
                            ":" + std::to_string(health_->port()) +
                            " (/healthz, /readyz, /status, /metrics, / the cluster page)");
  }

  if (!config.topologies.empty()) {
    ClusterOptions cluster_options;
    cluster_options.topologies = config.topologies;
    cluster_options.reconciler = config.reconciler;
    cluster_options.startup = config.startup;
    cluster_options.epmd_port = epmd_port;
    cluster_options.logger = logger_;
    auto started = Cluster::start(*node_, std::move(cluster_options));
    if (!started) return std::unexpected(started.error());
    std::lock_guard lock(cluster_mutex_);
    cluster_ = std::move(*started);
  }
  ready_ = true;
  log(LogLevel::info, "ready");
  return {};
}

void ServiceImpl::stop() {
  std::call_once(stop_once_, [this] {
    ready_ = false;  // out of rotation first
    Cluster* cluster = nullptr;
    {
      std::lock_guard lock(cluster_mutex_);
      cluster = cluster_.get();
    }
    if (cluster) cluster->stop();
    if (node_) node_->stop();  // also ends connects the reconciler still has in flight
    std::unique_ptr<Cluster> stopped;
    {
      std::lock_guard lock(cluster_mutex_);
      stopped = std::move(cluster_);
    }
    stopped.reset();
    if (node_events_ != 0) node_->unsubscribe_node_events(node_events_);
    if (health_) health_->stop();
    if (epmd_) epmd_->stop();
  });
}

}  // namespace

Result<ServicePlan> Service::check(const ServiceOptions& options) {
  auto prepared = prepare(options);
  if (!prepared) return std::unexpected(prepared.error());
  ServicePlan plan;
  plan.node_name = prepared->node.name;
  plan.topologies = prepared->config.topologies.size();
  plan.worker_threads = prepared->node.worker_threads;
  plan.log_format = prepared->config.node.log_format.value_or(LogFormat::text);
  return plan;
}

Result<std::unique_ptr<Service>> Service::start(ServiceOptions options) {
  auto prepared = prepare(options);
  if (!prepared) return std::unexpected(prepared.error());
  if (options.stop_signals) block_stop_signals();  // before any thread of ours starts
  auto service = std::make_unique<ServiceImpl>(options.area);
  if (auto ran = service->run(std::move(*prepared), options.setup); !ran) {
    service->stop();
    return std::unexpected(ran.error());
  }
  return std::unique_ptr<Service>(std::move(service));
}

}  // namespace beamlink
