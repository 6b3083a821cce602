// service/service_config.h - a service's whole configuration from
// ServiceOptions: the TOML file, then the environment, then the overrides
// (beamlink/service.h states the precedence). Reads the file and the
// environment it is given; starts nothing.
#pragma once

#include "beamlink/result.h"
#include "beamlink/service.h"
#include "config/node_config.h"

namespace beamlink::service {

// Errors are one line, ready to print; the file's and the environment's
// keep their codes (Errc::malformed, not_found, invalid_argument).
Result<config::NodeConfig> load_service_config(const ServiceOptions& options);

// The overrides layer alone: each set field replaces the setting. A cookie
// replaces the cookie file and the reverse, as the environment's do.
// Errc::invalid_argument for a port range whose min is above its max.
Result<void> apply_overrides(config::NodeConfig& config, const ServiceOverrides& overrides);

}  // namespace beamlink::service
