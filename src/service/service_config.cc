#include "service/service_config.h"

namespace beamlink::service {
namespace {

template <class T>
void set_if(std::optional<T>& out, const std::optional<T>& value) {
  if (value) out = *value;
}

}  // namespace

Result<void> apply_overrides(config::NodeConfig& config, const ServiceOverrides& o) {
  config::NodeSettings& n = config.node;
  set_if(n.name, o.name);
  if (o.cookie) {
    n.cookie = o.cookie;
    n.cookie_file.reset();
  } else if (o.cookie_file) {
    n.cookie_file = o.cookie_file;
    n.cookie.reset();
  }
  set_if(n.hidden, o.hidden);
  set_if(n.ticktime, o.ticktime);
  set_if(n.listen_address, o.listen_address);
  if (o.port_min || o.port_max) {
    uint16_t min = o.port_min.value_or(o.port_max.value_or(0));
    uint16_t max = o.port_max.value_or(min);
    if (min > max) {
      return fail(Errc::invalid_argument, "the distribution port range " + std::to_string(min) +
                                              "-" + std::to_string(max) + " is empty");
    }
    n.port_min = min;
    n.port_max = max;
  }
  set_if(n.use_epmd, o.use_epmd);
  set_if(n.epmd_daemon, o.epmd_daemon);
  set_if(n.peer_port, o.peer_port);
  set_if(n.epmd_port, o.epmd_port);
  set_if(n.log_level, o.log_level);
  set_if(n.log_format, o.log_format);
  set_if(n.worker_threads, o.worker_threads);
  set_if(n.health_address, o.health_address);
  set_if(n.health_port, o.health_port);
  if (o.min_peers) config.startup.min_peers = *o.min_peers;
  if (o.startup_timeout) config.startup.timeout = *o.startup_timeout;
  if (o.startup_required) config.startup.required = *o.startup_required;
  return {};
}

Result<config::NodeConfig> load_service_config(const ServiceOptions& options) {
  config::NodeConfig config;
  if (!options.config_path.empty()) {
    auto loaded = config::load_config_file(options.config_path);
    if (!loaded) return std::unexpected(loaded.error());
    config = std::move(*loaded);
  }
  const config::EnvLookup env = options.env ? options.env : config::process_env();
  if (auto applied = config::apply_env(config, env); !applied) {
    return std::unexpected(applied.error());
  }
  if (auto applied = apply_overrides(config, options.overrides); !applied) {
    return std::unexpected(applied.error());
  }
  return config;
}

}  // namespace beamlink::service
