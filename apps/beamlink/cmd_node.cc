// `beamlink node`: run a node in the foreground. It logs nodeup/nodedown,
// and registers `echo`, which answers {Pid, Term} by sending Term to Pid
// and a gen_server call with its request (a C++ gen_server). With
// --global-name NAME echo is also registered in `global`; with --pg-group
// GROUP it joins the atom GROUP in pg scope `pg`.
// With --config FILE it also runs the file's topologies (cluster
// formation). Settings: file < environment < flags (config/node_config.h).
#include <iostream>

#include "beamlink/pg.h"
#include "beamlink/service.h"
#include "beamlink/term_text.h"
#include "command.h"
#include "config/value_parsers.h"
#include "node_flags.h"

namespace beamlink::cli {
namespace {

// `echo`: a gen_server call answers the request itself; a {Pid, Term}
// message sends Term to Pid.
class EchoServer final : public GenServer {
 public:
  explicit EchoServer(Node& node) : node_(node) {}
  Reply handle_call(const Term& request, const From&) override { return request; }
  void handle_info(const Term& message) override {
    const Tuple* t = message.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is<Pid>()) {
      node_.send(t->elements[0].as<Pid>(), t->elements[1]);
    }
  }

 private:
  Node& node_;
};

Result<void> start_echo(Service& service, const std::string& global_name,
                        const std::string& pg_group) {
  Node& node = service.node();
  auto log_line = [&service](std::string_view message) {
    service.logger()(LogLevel::info, "node", message);
  };
  auto echo = node.start_server(std::make_shared<EchoServer>(node), {.register_as = "echo"});
  if (!echo) return fail(echo.error().code, "cannot start echo: " + echo.error().message);
  log_line("echo is " + format_term(Term(*echo)));
  if (!global_name.empty()) {
    auto name = parse_term(global_name);
    if (!name) return fail(Errc::invalid_argument, "--global-name: " + name.error().message);
    if (auto registered = node.global().register_name(*name, *echo); !registered) {
      return fail(registered.error().code, "cannot register echo as global " + global_name + ": " +
                                               registered.error().message);
    }
    log_line("echo is global " + format_term(*name));
  }
  if (!pg_group.empty()) {
    if (auto joined = node.pg().join(Term::atom(pg_group), *echo); !joined) {
      return fail(joined.error().code, "cannot join pg group: " + joined.error().message);
    }
    log_line("echo joined pg group " + pg_group);
  }
  return {};
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
    app.add_option("--pg-group", pg_group_,
                   "`echo` joins this group (an atom) of the default pg scope");
    app.add_option("--global-name", global_name_,
                   "Also register `echo` in Erlang's global registry under this name");
    health_port_opt_ =
        app.add_option("--health-port", health_port_,
                       "Serve /healthz, /readyz and /status over HTTP on this port (default: off)");
    health_address_opt_ = app.add_option("--health-address", health_address_,
                                         "Address of the health endpoint (default 127.0.0.1)");
  }

  int run() override {
    ServiceOptions options;
    options.config_path = config_path_;
    auto overrides = overrides_from_flags();
    if (!overrides) {
      std::cerr << "beamlink node: " << overrides.error().message << "\n";
      return 2;
    }
    options.overrides = std::move(*overrides);
    // Every mistake in the file, the environment or the flags exits 2
    // before anything starts.
    auto plan = Service::check(options);
    if (!plan) {
      std::cerr << "beamlink node: " << plan.error().message << "\n";
      return 2;
    }
    if (check_only_) {
      std::cout << "configuration ok: node " << plan->node_name << ", " << plan->topologies
                << " topology(ies)\n";
      return 0;
    }
    options.setup = [this](Service& service) {
      return start_echo(service, global_name_, pg_group_);
    };
    auto service = Service::start(std::move(options));  // blocks SIGINT/SIGTERM first
    if (!service) {
      std::cerr << "beamlink node: " << service.error().message << "\n";
      return service.error().code == Errc::invalid_argument ? 2 : 1;
    }
    (*service)->run_until_stop_signal();
    return 0;
  }

 private:
  Result<ServiceOverrides> overrides_from_flags() const {
    auto overrides = flags_.overrides();
    if (!overrides) return overrides;
    if (min_peers_opt_->count() > 0) overrides->min_peers = min_peers_;
    if (startup_timeout_opt_->count() > 0) {
      auto parsed = config::parse_duration(startup_timeout_);
      if (!parsed) {
        return fail(
            Errc::invalid_argument,
            "--startup-timeout must be like \"30s\" or \"500ms\", got '" + startup_timeout_ + "'");
      }
      overrides->startup_timeout = *parsed;
    }
    if (startup_required_) overrides->startup_required = true;
    if (health_port_opt_->count() > 0) overrides->health_port = health_port_;
    if (health_address_opt_->count() > 0) overrides->health_address = health_address_;
    return overrides;
  }

  NodeFlags flags_;
  std::string config_path_;
  size_t min_peers_ = 0;
  std::string startup_timeout_;
  bool startup_required_ = false;
  bool check_only_ = false;
  std::string pg_group_;
  std::string global_name_;
  uint16_t health_port_ = 0;
  std::string health_address_;
  CLI::Option* min_peers_opt_ = nullptr;
  CLI::Option* startup_timeout_opt_ = nullptr;
  CLI::Option* health_port_opt_ = nullptr;
  CLI::Option* health_address_opt_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_node_command() {
  return std::make_unique<NodeCommand>();
}

}  // namespace beamlink::cli
