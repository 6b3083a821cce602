// loopback_epmd.h - an in-process EPMD daemon for a test: 127.0.0.1, an
// ephemeral port (so tests run in parallel and never meet a stray node).
// Shared by the unit tests and the integration tests' support library.
#pragma once

#include <memory>

#include "beamlink/epmd.h"
#include "beamlink/result.h"

namespace beamlink::testing {

inline Result<std::unique_ptr<epmd::Server>> start_loopback_epmd() {
  epmd::ServerOptions options;
  options.addresses = {"127.0.0.1"};
  options.port = 0;
  return epmd::Server::start(options);
}

}  // namespace beamlink::testing
