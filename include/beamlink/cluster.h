// beamlink/cluster.h - cluster formation: topologies and the reconciler
// (libcluster for C++).
//
// A topology is {name, strategy, options}. A strategy only says which nodes
// should exist (by polling a source or by events); one reconciler per
// Cluster connects every desired node that is not connected and, for
// strategies that prune, disconnects nodes that this topology itself had
// discovered and that have since disappeared from its set.
//
// Contract:
//  * Cluster::start validates every topology before anything runs: an
//    unknown strategy or an unknown / mistyped option is Errc::invalid_argument
//    naming the topology and the key. Nothing is started on error.
//  * A discovery error (failed lookup, unreachable source, bad answer) keeps
//    the topology's last known set; it is logged and counted, and never
//    disconnects anything.
//  * Failed connects are retried with exponential backoff and jitter, per
//    node, until the node connects or leaves the desired set.
//  * Connect, disconnect and list-nodes go through ClusterHooks; the defaults
//    use the Node, whose connects are asynchronous: every wanted node is
//    dialled at once (up to ReconcilerOptions::max_connects in flight).
//    Blocking hooks (connect, disconnect) run on the cluster's worker
//    threads.
//  * Every decision is logged through the logger with the topology's name
//    as its area; callers print it as `[beamlink:<topology>]`.
//  * Readiness: ready() is false until the startup wait is over (min_peers
//    connected, or the timeout passed), then true for good. It never waits
//    on anything else, so a readiness probe built on it cannot deadlock on
//    cluster formation. With `required`, start fails (Errc::timeout) when
//    the peers are not there in time, like Erlang's sync_nodes_mandatory.
//  * stop() stops every strategy and the reconciler and joins the strategy
//    thread; it does not disconnect anything and does not wait for a
//    connect already dialling (the destructor joins those: stop the Node
//    first to end them at once). The Node must outlive the Cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "beamlink/node.h"
#include "beamlink/result.h"

namespace beamlink {

// One option value, as TOML gives it (integers for libcluster's millisecond
// options, strings for names, arrays of strings for host lists).
using OptionValue = std::variant<bool, int64_t, double, std::string, std::vector<std::string>>;
using StrategyOptions = std::map<std::string, OptionValue, std::less<>>;

struct TopologySpec {
  std::string name;      // "[beamlink:<name>]" in logs
  std::string strategy;  // a key of the strategy table: epmd, erlang_hosts, local_epmd, gossip...
  StrategyOptions options;
};

// connect_async starts a connect and calls `done` once, on any thread,
// with its outcome; it must not block. A blocking `connect` alone runs on
// the cluster's worker threads. With neither, the Node's connect_async.
struct ClusterHooks {
  std::function<Result<void>(std::string_view node)> connect;
  std::function<void(std::string_view node, std::function<void(Result<void>)> done)> connect_async;
  std::function<void(std::string_view node)> disconnect;
  std::function<std::vector<std::string>()> list_nodes;  // connected nodes
};

struct ReconcilerOptions {
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  double jitter = 0.2;  // each delay is scaled by a random factor in [1-j, 1+j]
  // Of two nodes that want each other, the smaller name waits
  // backoff_initial (x 1-2) before dialling: the greater one dials at once.
  //
  // How often desired-but-unconnected nodes are re-checked even without
  // events (a node connected or dropped behind the reconciler's back);
  // once all are connected, 5 times less often.
  std::chrono::milliseconds resync_interval{1000};
  // Dials in flight at once (they are asynchronous: no thread each); the
  // rest start as earlier ones finish. Every dial in flight holds CPU for
  // its handshake: 128 nodes on 2 cores with 16-64 each in flight made
  // handshakes outlive the setup time (connections closed right after the
  // peer saw them up); 8 formed as fast, with none.
  size_t max_connects = 8;
  // A dial with no outcome after this long counts as failed (and is
  // retried with backoff); its late outcome is ignored. The node's own
  // setup_time bounds a dial too.
  std::chrono::milliseconds connect_timeout{10000};
  // Threads for blocking work: a blocking `connect` hook, disconnects,
  // strategies' lookups.
  size_t connect_threads = 8;
};

struct StartupOptions {
  size_t min_peers = 0;  // wait at start until this many peers are connected
  std::chrono::milliseconds timeout{0};
  bool required = false;  // fail start when min_peers is not reached in time
};

// Deprecated: the cluster's logger is a beamlink::Logger (beamlink/log.h)
// whose area is the topology's name.
using ClusterLogger = Logger;

struct ClusterOptions {
  std::vector<TopologySpec> topologies;
  ReconcilerOptions reconciler;
  StartupOptions startup;
  ClusterHooks hooks;  // empty members: the Node's own
  Logger logger;       // area: the topology's name
  // EPMD port for strategies that ask EPMD (local_epmd, erlang_hosts);
  // 0 = the node's.
  uint16_t epmd_port = 0;
};

struct TopologyStatus {
  std::string name;
  std::string strategy;
  std::vector<std::string> desired;  // the last set the strategy reported
  uint64_t connects = 0;             // successful connects made by this topology
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;       // nodes disconnected because they disappeared
  uint64_t discovery_errors = 0;  // failed lookups (the last set was kept)
  uint64_t dropped_packets = 0;   // strategy input refused (gossip: bad packets)
  std::string last_error;         // the last discovery error, "" if none
};

class Cluster {
 public:
  virtual ~Cluster() = default;

  // Starts every topology on `node`; with startup.min_peers, returns once
  // the wait is over (see the contract above).
  static Result<std::unique_ptr<Cluster>> start(Node& node, ClusterOptions options);

  // Checks options without starting anything (for `--check-config`).
  static Result<void> validate(const std::vector<TopologySpec>& topologies);

  virtual bool ready() const = 0;
  virtual std::vector<TopologyStatus> status() const = 0;
  virtual void stop() = 0;
};

// The names of the registered strategies, in table order.
std::vector<std::string> strategy_names();

}  // namespace beamlink
