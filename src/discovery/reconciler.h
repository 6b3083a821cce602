// discovery/reconciler.h - turns the desired sets of a node's topologies
// into connects and disconnects.
//
// Runs on the cluster's strategy thread (`io`): every public method except
// status() and connected_peers() must be called there. Connects and
// disconnects are handed to the worker pool (they may block); their results
// come back on `io`.
//
// Rules:
//  * Every node in some topology's desired set and not connected is
//    connected; a failure is retried after Backoff::delay(failures), per
//    node, until it connects or leaves every desired set.
//  * A node that goes down while desired is retried at once, then with
//    backoff.
//  * Dial races: of two nodes that want each other, the one with the
//    greater name dials at once; the other waits backoff_initial (scaled
//    by a random 1-2) for that connection before dialling itself, so a pair
//    usually pays for one handshake. Incoming connections are always taken.
//  * A node leaving a topology's set is disconnected only if that topology
//    prunes, had it in its previous set, and no other topology wants it.
//  * A discovery failure only logs and counts; the set is kept.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <map>
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
             const ReconcilerOptions& options, std::string self, ClusterLogger logger);

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
  };

  void reconcile();
  // A peer with the greater name dials us: wait a little for it first.
  void defer_if_peer_dials(const std::string& node, Peer& peer);
  void schedule(std::chrono::steady_clock::time_point when);
  void connect(const std::string& node);
  void on_connected(const std::string& node, Result<void> result);
  bool wanted(const std::string& node) const;
  size_t owner(const std::string& node) const;  // the first topology wanting it

  asio::io_context& io_;
  WorkerPool& pool_;
  ClusterHooks hooks_;
  ReconcilerOptions options_;
  Backoff backoff_;
  std::string self_;
  ClusterLogger logger_;
  std::mt19937_64 random_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_due_{};
  bool stopped_ = false;

  mutable std::mutex mutex_;  // guards topologies_ for status()
  std::vector<Topology> topologies_;
  std::map<std::string, Peer> peers_;
};

}  // namespace beamlink::discovery
