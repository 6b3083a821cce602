// `beamlink node`: run a node in the foreground. It logs nodeup/nodedown,
// and registers `echo`, which answers {Pid, Term} by sending Term to Pid.
// With --config FILE it also runs the file's topologies (cluster
// formation). Settings: file < environment < flags (config/node_config.h).
#include <iostream>

#include "beamlink/cluster.h"
#include "beamlink/term_text.h"
#include "command.h"
#include "config/value_parsers.h"
#include "log_line.h"
#include "node_flags.h"
#include "stop_signal.h"

namespace beamlink::cli {
namespace {

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

    std::unique_ptr<Cluster> cluster;
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
        return 1;
      }
      cluster = std::move(*started);
    }
    log_line("info", "node", "ready");

    auto signal = wait_for_stop_signal([] { return false; });
    log_line("info", "node", "stopping on " + signal.value_or("request"));
    if (cluster) cluster->stop();
    node->stop();
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
  CLI::Option* startup_timeout_opt_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_node_command() {
  return std::make_unique<NodeCommand>();
}

}  // namespace beamlink::cli
