// `beamlink node`: run a node in the foreground. It logs nodeup/nodedown,
// and registers `echo`, which answers {Pid, Term} by sending Term to Pid.
// With --config FILE it also runs the file's topologies (cluster
// formation). Settings: file < environment < flags (config/node_config.h).
#include <atomic>
#include <iostream>
#include <mutex>

#include "beamlink/cluster.h"
#include "beamlink/health.h"
#include "beamlink/term_text.h"
#include "command.h"
#include "config/value_parsers.h"
#include "log_line.h"
#include "node_flags.h"
#include "stop_signal.h"

namespace beamlink::cli {
namespace {

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

class NodeCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    flags_.add_to(app, /*require_name=*/false);
    app.add_option("--config", config_path_,
                   "TOML file with node settings and topologies (see README: Configuration)");
    min_peers_opt_ = app.add_option("--min-peers", min_peers_,
                                    "Wait at start until this many peers are connected");
    startup_timeout_opt_ =
        app.add_option("--startup-timeout", startup_timeout_,
                       "How long --min-peers waits (\"30s\", \"500ms\"); then ready anyway");
    app.add_flag("--startup-required", startup_required_,
                 "Exit with an error when --min-peers is not reached in time");
    app.add_flag("--check-config", check_only_, "Validate the configuration and exit");
    health_port_opt_ =
        app.add_option("--health-port", health_port_,
                       "Serve /healthz, /readyz and /status over HTTP on this port (default: off)");
    health_address_opt_ = app.add_option("--health-address", health_address_,
                                         "Address of the health endpoint (default 127.0.0.1)");
  }

  int run() override {
    config::NodeConfig config;
    if (!config_path_.empty()) {
      auto loaded = config::load_config_file(config_path_);
      if (!loaded) {
        std::cerr << "beamlink node: " << loaded.error().message << "\n";
        return 2;
      }
      config = std::move(*loaded);
    }
    if (auto env = config::apply_env(config, config::process_env()); !env) {
      std::cerr << "beamlink node: " << env.error().message << "\n";
      return 2;
    }
    if (auto flags = flags_.overlay(config.node); !flags) {
      std::cerr << "beamlink node: " << flags.error().message << "\n";
      return 2;
    }
    if (min_peers_opt_->count() > 0) config.startup.min_peers = min_peers_;
    if (startup_timeout_opt_->count() > 0) {
      auto parsed = config::parse_duration(startup_timeout_);
      if (!parsed) {
        std::cerr << "beamlink node: --startup-timeout must be like \"30s\" or \"500ms\", got '"
                  << startup_timeout_ << "'\n";
        return 2;
      }
      config.startup.timeout = *parsed;
    }
    if (startup_required_) config.startup.required = true;
    if (health_port_opt_->count() > 0) config.node.health_port = health_port_;
    if (health_address_opt_->count() > 0) config.node.health_address = health_address_;
    auto options = node_options_from(config.node, "node");
    if (!options) {
      std::cerr << "beamlink node: " << options.error().message << "\n";
      return 2;
    }
    if (auto valid = Cluster::validate(config.topologies); !valid) {
      std::cerr << "beamlink node: " << (config_path_.empty() ? "" : config_path_ + ": ")
                << valid.error().message << "\n";
      return 2;
    }
    if (check_only_) {
      std::cout << "configuration ok: node " << options->name << ", " << config.topologies.size()
                << " topology(ies)\n";
      return 0;
    }
    LogLevel level = config.node.log_level.value_or(LogLevel::info);
    uint16_t epmd_port = options->epmd_port;
    block_stop_signals();  // before the node's threads start
    auto node = start_node("node", std::move(*options));
    if (!node) return 1;

    // The runtime logs nodeup/nodedown (with their reasons) through the logger.
    SpawnOptions echo_options;
    echo_options.register_as = "echo";
    auto echo = node->spawn_handler(
        [](Process& self, Term message) {
          const Tuple* t = message.get_if<Tuple>();
          if (t != nullptr && t->elements.size() == 2 && t->elements[0].is<Pid>()) {
            self.send(t->elements[0].as<Pid>(), t->elements[1]);
          }
        },
        echo_options);
    if (!echo) {
      std::cerr << "beamlink node: cannot start echo: " << echo.error().to_string() << "\n";
      return 1;
    }
    log_line("info", "node",
             "node " + node->name() + " up, distribution port " +
                 std::to_string(node->listen_port()) + ", creation " +
                 std::to_string(node->creation()) + "; echo is " + format_term(Term(*echo)));

    // The health endpoint comes up before the startup wait, answering 503 on
    // /readyz until the wait is over: a probe never blocks on formation.
    std::unique_ptr<HealthServer> health;
    if (config.node.health_port) {
      HealthOptions health_options;
      health_options.address = config.node.health_address.value_or("127.0.0.1");
      health_options.port = *config.node.health_port;
      health_options.ready = [this] { return ready_.load(); };
      health_options.status_json = [this, n = node.get()] { return status_json(*n); };
      auto started = HealthServer::start(std::move(health_options));
      if (!started) {
        std::cerr << "beamlink node: " << started.error().message << "\n";
        node->stop();
        return 1;
      }
      health = std::move(*started);
      log_line("info", "node",
               "health endpoint on " + config.node.health_address.value_or("127.0.0.1") + ":" +
                   std::to_string(health->port()) + " (/healthz, /readyz, /status)");
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
      auto started = Cluster::start(*node, std::move(cluster_options));
      if (!started) {
        std::cerr << "beamlink node: " << started.error().message << "\n";
        node->stop();
        if (health) health->stop();
        return 1;
      }
      std::lock_guard lock(cluster_mutex_);
      cluster_ = std::move(*started);
    }
    ready_ = true;
    log_line("info", "node", "ready");

    auto signal = wait_for_stop_signal([] { return false; });
    log_line("info", "node", "stopping on " + signal.value_or("request"));
    ready_ = false;  // out of rotation first
    {
      std::lock_guard lock(cluster_mutex_);
      if (cluster_) cluster_->stop();
    }
    node->stop();
    if (health) health->stop();
    return 0;
  }

 private:
  NodeFlags flags_;
  std::string config_path_;
  size_t min_peers_ = 0;
  std::string startup_timeout_;
  bool startup_required_ = false;
  bool check_only_ = false;
  CLI::Option* min_peers_opt_ = nullptr;
  uint16_t health_port_ = 0;
  std::string health_address_;
  CLI::Option* health_port_opt_ = nullptr;
  CLI::Option* health_address_opt_ = nullptr;
  std::atomic<bool> ready_{false};
  std::mutex cluster_mutex_;
  std::unique_ptr<Cluster> cluster_;

  std::string status_json(Node& node) {
    std::string out = "{\"node\":" + json_string(node.name()) +
                      ",\"ready\":" + (ready_ ? "true" : "false") + ",\"peers\":[";
    auto peers = node.nodes(NodeKind::visible);
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
  CLI::Option* startup_timeout_opt_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_node_command() {
  return std::make_unique<NodeCommand>();
}

}  // namespace beamlink::cli
