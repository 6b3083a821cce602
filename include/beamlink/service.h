// beamlink/service.h - a clustered beamlink service in one call: what
// `beamlink node` and `beamlink-worker` run, for any application.
//
// Service::start turns a config file, the environment and overrides (the
// application's command-line flags) into a running service:
//
//  * Precedence, lowest first: built-in defaults < the TOML file
//    (config_path) < the environment (BEAMLINK_*, then RELEASE_NODE,
//    RELEASE_DISTRIBUTION, RELEASE_COOKIE, ERL_EPMD_PORT for what BEAMLINK_*
//    leaves unset) < ServiceOverrides. The keys are those of the README's
//    Configuration section and `beamlink node --help`; e.g. node.name /
//    BEAMLINK_NODE / --name, node.worker_threads / BEAMLINK_WORKER_THREADS /
//    --worker-threads, node.log_format / BEAMLINK_LOG_FORMAT / --log-format.
//    A malformed value in any layer is an Errc::invalid_argument naming the
//    file position, the variable or the override (a TOML syntax error is
//    Errc::malformed, a missing file Errc::not_found).
//  * Start order: the in-process EPMD daemon (node.epmd_daemon; when one
//    already answers on the port, that one is used), the node, `setup`
//    (where the application registers its processes and functions before a
//    peer can be told the node is ready), the health endpoint
//    (node.health_port; /readyz answers 503 until ready), the topologies
//    with their startup wait, then ready. A failure at any step undoes the
//    steps before it and is returned.
//  * Stop order (stop(), the destructor, or run_until_stop_signal()): not
//    ready (out of rotation), topologies stopped, node stopped (connections
//    closed: peers see nodedown at once), health endpoint and EPMD daemon
//    closed.
//  * Signals: with ServiceOptions::stop_signals (the default) start()
//    blocks SIGINT and SIGTERM in the calling thread before any thread
//    starts, so every thread the service makes inherits the mask and only
//    wait_for_stop_signal() receives them. Call start() from the main
//    thread before starting threads of your own, or call
//    block_stop_signals() first.
//  * Logging: one sink for the node, the daemon and the topologies,
//    writing lines at node.log_level and above in node.log_format (text or
//    json, see beamlink/log.h) to ServiceOptions::log_output (stderr by
//    default). logger() hands the sink to the application.
//  * Thread safety: every member may be called from any thread; stop() is
//    idempotent. Ownership: the caller owns the Service; node() and the
//    Logger stay valid until the Service is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/log.h"
#include "beamlink/node.h"
#include "beamlink/result.h"

namespace beamlink {

class Service;

// The overrides layer: each field that is set wins over the file and the
// environment. Field <- config key (flag of `beamlink node`).
struct ServiceOverrides {
  std::optional<std::string> name;         // node.name (--name)
  std::optional<std::string> cookie;       // node.cookie (--cookie); replaces cookie_file
  std::optional<std::string> cookie_file;  // node.cookie_file (--cookie-file)
  std::optional<bool> hidden;              // node.hidden (--hidden)
  std::optional<std::chrono::milliseconds> ticktime;  // node.ticktime (--ticktime)
  std::optional<std::string> listen_address;          // node.listen_address
  std::optional<uint16_t> port_min;                   // node.dist_port_min (--port MIN-MAX)
  std::optional<uint16_t> port_max;                   // node.dist_port_max
  std::optional<bool> use_epmd;                       // node.epmd (--no-epmd)
  std::optional<bool> epmd_daemon;                    // node.epmd_daemon (--epmd-daemon)
  std::optional<uint16_t> peer_port;                  // node.peer_port (--peer-port)
  std::optional<uint16_t> epmd_port;                  // node.epmd_port (--epmd-port)
  std::optional<LogLevel> log_level;                  // node.log_level (--log-level, --debug)
  std::optional<LogFormat> log_format;                // node.log_format (--log-format)
  std::optional<unsigned> worker_threads;             // node.worker_threads (--worker-threads)
  std::optional<std::string> health_address;          // node.health_address (--health-address)
  std::optional<uint16_t> health_port;                // node.health_port (--health-port)
  std::optional<size_t> min_peers;                    // startup.min_peers (--min-peers)
  std::optional<std::chrono::milliseconds> startup_timeout;  // startup.timeout
  std::optional<bool> startup_required;  // startup.required (--startup-required)
};

struct ServiceOptions {
  std::string config_path;  // "" : no file
  // The environment: a variable's value, nullopt when unset. Empty: the
  // process environment (getenv).
  std::function<std::optional<std::string>(const std::string& name)> env;
  ServiceOverrides overrides;
  // Names the service's own log lines and the node's ("[beamlink:node]").
  std::string area = "node";
  // Runs once the node is up, before the health endpoint and the
  // topologies, with the service being started: its node() and logger()
  // are valid, ready() is false. An error stops the start and is returned.
  std::function<Result<void>(Service&)> setup;
  // Where log lines go, one call per line without the newline; called
  // from any thread, possibly from several at once. Empty: stderr.
  std::function<void(std::string_view line)> log_output;
  bool stop_signals = true;  // see the contract above
};

// What a configuration would run, without starting anything.
struct ServicePlan {
  std::string node_name;
  size_t topologies = 0;
  unsigned worker_threads = 1;
  LogFormat log_format = LogFormat::text;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> start(ServiceOptions options);
  // The configuration checked as start() would check it (`--check-config`).
  static Result<ServicePlan> check(const ServiceOptions& options);

  virtual ~Service() = default;  // stop()

  virtual Node& node() = 0;
  virtual bool ready() const = 0;
  // The health endpoint's port; 0 when it is off.
  virtual uint16_t health_port() const = 0;
  // A snapshot of every topology (empty without topologies).
  virtual std::vector<TopologyStatus> topologies() const = 0;
  // What /status answers: node, ready, peers, topologies.
  virtual std::string status_json() const = 0;
  // The service's log sink (level filter and format applied).
  virtual const Logger& logger() const = 0;

  // Blocks until SIGINT or SIGTERM (see the contract); its name.
  // REQUIRES: ServiceOptions::stop_signals or block_stop_signals().
  virtual std::string wait_for_stop_signal() = 0;
  // wait_for_stop_signal(), then stop(), logging both; the signal's name.
  virtual std::string run_until_stop_signal() = 0;
  virtual void stop() = 0;
};

// Blocks SIGINT and SIGTERM in the calling thread (threads started after
// inherit it). Service::start does this itself unless told not to.
void block_stop_signals();
// The name of the next SIGINT or SIGTERM, or nullopt once `finished()`
// turns true (polled five times a second). Without `finished` it sleeps
// until a signal. REQUIRES: the signals are blocked (block_stop_signals).
std::optional<std::string> wait_for_stop_signal(const std::function<bool()>& finished = {});

}  // namespace beamlink
