// discovery/strategy.h - what a discovery strategy is and what it may use.
//
// A strategy reports the set of nodes that should exist; it never connects
// or disconnects anything itself (the reconciler does). Strategies run on
// the cluster's single strategy thread: every StrategyHost call and every
// completion handler posted to io() runs there, so a strategy needs no
// locks of its own. Blocking work (EPMD lookups, file reads, DNS without an
// async API) goes through run_blocking, whose completion comes back on the
// strategy thread.
//
// Contract for implementations:
//  * start() arms timers / sockets on io() and returns; an error from
//    start() is a configuration or resource error and stops Cluster::start.
//  * publish() gives the full desired set each time (the host diffs it).
//    discovery_failed() keeps the last set; never publish an empty set
//    because a lookup failed.
//  * stop() cancels everything; after it returns no handler of the
//    strategy touches the host again.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/result.h"

namespace beamlink::discovery {

class StrategyHost {
 public:
  virtual ~StrategyHost() = default;

  virtual asio::io_context& io() = 0;
  virtual const std::string& self() const = 0;  // this node's name
  virtual uint16_t epmd_port() const = 0;       // for strategies that ask EPMD

  // The full desired set (this node is ignored if present).
  virtual void publish(std::vector<std::string> nodes) = 0;
  // A lookup failed: log it, count it, keep the last set.
  virtual void discovery_failed(const Error& error) = 0;
  // The same failure again (e.g. a 403 on every poll): count it and keep
  // it as the last error, but log it only at debug.
  virtual void discovery_failed_again(const Error& error) { discovery_failed(error); }
  // Input from outside refused (a bad packet): log at debug, count it.
  virtual void dropped(std::string_view why) = 0;
  virtual void log(LogLevel level, std::string_view message) = 0;
  // The time strategies decide by (expiry of nodes not heard from): the
  // steady clock, or a test's.
  virtual std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

  // Runs `work` on a worker thread; `done` runs on the strategy thread
  // unless the strategy was stopped meanwhile.
  virtual void run_blocking(std::function<void()> work, std::function<void()> done) = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual Result<void> start(StrategyHost& host) = 0;
  virtual void stop() = 0;
  // Whether a node leaving the set is disconnected (static lists, EPMD,
  // DNS, Kubernetes). Gossip never disconnects, as libcluster's: a
  // missed heartbeat is not a departure (a node silent for its
  // node_timeout leaves the set, so it is no longer dialled, and stays
  // connected if it is).
  virtual bool prunes() const { return true; }
  // The longest wait between connect retries for this topology's nodes
  // (libcluster's `timeout` option); nullopt: the reconciler's backoff_max.
  virtual std::optional<std::chrono::milliseconds> retry_max() const { return std::nullopt; }
};

}  // namespace beamlink::discovery
