// service/node_options.h - NodeOptions from merged node settings (file <
// environment < overrides already applied). The one place that fills the
// node's defaults for a service: the listen address from the name's host,
// the cookie from its sources, the worker threads.
#pragma once

#include "beamlink/log.h"
#include "beamlink/node.h"
#include "beamlink/result.h"
#include "config/node_config.h"

namespace beamlink::service {

// Errors are one line, ready to print (Errc::invalid_argument for a bad
// setting; a cookie that cannot be read keeps its own code). `logger`
// becomes NodeOptions::logger; `env` is where the cookie's sources look
// (HOME for ~/.erlang.cookie).
Result<NodeOptions> node_options_from(const config::NodeSettings& settings, Logger logger,
                                      const config::EnvLookup& env);

}  // namespace beamlink::service
