// discovery/reconciler.h - turns the desired sets of a node's topologies
// into connects and disconnects.
//
// Runs on the cluster's strategy thread (`io`): every public method except
// status() must be called there, and it is destroyed after `io` stopped
// running. Connects go through hooks.connect_async (never blocking; a
// blocking hooks.connect runs on the worker pool instead), disconnects
// through the pool; outcomes come back on `io`. The destructor waits for
// every asynchronous connect it started to report (the node's setup time
// bounds them; a stopped node reports at once).
//
// Rules:
//  * Every node in some topology's desired set and not connected is
//    connected; a failure is retried after Backoff::delay(failures), per
//    node, until it connects or leaves every desired set.
//  * All due connects start at once, up to options.max_connects in flight;
//    the others start as those finish. A connect with no outcome after
//    options.connect_timeout counts as a failure; its late outcome is
//    ignored.
//  * A node that goes down while desired is retried at once, then with
//    backoff.
//  * Dial races: of two nodes that want each other, the one with the
//    greater name dials at once; the other waits backoff_initial (scaled
//    by a random 1-2) for that connection before dialling itself, so a pair
//    usually pays for one handshake. Incoming connections are always taken.
//  * A node leaving a topology's set is disconnected only if that topology
//    prunes, had it in its previous set, and no other topology wants it.
//  * A discovery failure only logs and counts; the set is kept.
//  * The list of connected nodes is read every options.resync_interval,
//    and every 5 x resync_interval once every wanted node is connected and
//    no dial is in flight (node events keep that state current; the
//    resync is only a safety net). Any event or new set reconciles at once.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "beamlink/cluster.h"
#include "discovery/backoff.h"
#include "discovery/worker_pool.h"

namespace beamlink::discovery {

class Reconciler {
 public:
  Reconciler(asio::io_context& io, WorkerPool& pool, ClusterHooks hooks,
             const ReconcilerOptions& options, std::string self, Logger logger);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  size_t add_topology(std::string name, std::string strategy, bool prunes,
                      std::optional<std::chrono::milliseconds> retry_max);

  void set_desired(size_t topology, std::vector<std::string> nodes);
  void discovery_failed(size_t topology, const Error& error, LogLevel level = LogLevel::warning);
  void dropped(size_t topology, std::string_view why);
  void log(size_t topology, LogLevel level, std::string_view message);

  // Node events (call on io).
  void node_up(const std::string& node);
  void node_down(const std::string& node, const std::string& reason);

  // Starts the resync timer.
  void start();
  void stop();

  std::vector<TopologyStatus> status() const;  // any thread

 private:
  struct Topology {
    TopologyStatus status;
    std::set<std::string> desired;
    bool prunes = true;
    std::optional<std::chrono::milliseconds> retry_max;
  };
  struct Peer {
    unsigned failures = 0;
    std::chrono::steady_clock::time_point next_attempt{};
    bool in_flight = false;
    bool connected = false;  // last known, from list_nodes or events
    uint64_t attempt = 0;    // the connect in flight (outcomes of others are stale)
    std::shared_ptr<asio::steady_timer> deadline;  // its connect_timeout
  };
  // Asynchronous connects started and not yet reported (any thread).
  struct Outstanding {
    std::mutex mutex;
    std::condition_variable idle;
    size_t count = 0;
  };

  void reconcile();
  // A peer with the greater name dials us: wait a little for it first.
  void defer_if_peer_dials(const std::string& node, Peer& peer);
  void schedule(std::chrono::steady_clock::time_point when);
  void connect(const std::string& node);
  void on_connected(const std::string& node, uint64_t attempt, Result<void> result);
  bool wanted(const std::string& node) const;
  size_t owner(const std::string& node) const;  // the first topology wanting it

  asio::io_context& io_;
  WorkerPool& pool_;
  ClusterHooks hooks_;
  ReconcilerOptions options_;
  Backoff backoff_;
  std::string self_;
  Logger logger_;
  std::mt19937_64 random_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_due_{};
  bool stopped_ = false;
  size_t in_flight_ = 0;  // connects started and not yet over
  uint64_t attempts_ = 0;
  std::shared_ptr<Outstanding> outstanding_ = std::make_shared<Outstanding>();

  mutable std::mutex mutex_;  // guards topologies_ for status()
  std::vector<Topology> topologies_;
  std::map<std::string, Peer> peers_;
};

}  // namespace beamlink::discovery
