// beamlink/health.h - a small HTTP endpoint for liveness and readiness
// probes (Kubernetes httpGet probes, load balancers, humans with curl).
//
//   GET /healthz  200 "ok" while the node runs (liveness).
//   GET /readyz   200 when ready() says so, else 503 (readiness). The body
//                 is the status JSON either way.
//   GET /status   200 with the status JSON: node, ready, peers, and per
//                 topology its desired set and counters.
//   GET /metrics  200 with metrics_text() in the Prometheus text format
//                 (beamlink/metrics.h), when metrics_text is set; else 404.
//   When cluster_json is set, the live cluster page (docs/cluster-page.md):
//   GET /         the page (HTML, with /page.css and /page.js), compiled
//                 into the binary from web/.
//   GET /cluster  200 with cluster_json(): nodes, connections, counters.
//   GET /events   a server-sent event stream (text/event-stream) of what
//                 publish_event() is given (nodeup, nodedown), with a
//                 comment line every event_heartbeat.
//   HEAD works on each; anything else is 404, other methods 405.
//
// Contract: requests from outside are untrusted. A request head is at most
// 8 KiB and must arrive within 2 s, else the connection is closed (431 /
// 408 where an answer is possible); at most 64 connections at once, more
// are closed at accept. One answer per connection (Connection: close).
// Event streams are long-lived answers, bounded too: at most
// kMaxEventStreams at once (more get 503), each holding at most
// kMaxQueuedEventBytes not yet written; a client that falls behind that,
// or takes longer than 5 s over one write, is disconnected. stop() closes
// the streams with everything else.
// Callbacks run on the server's own thread; they must be quick and
// thread-safe. stop() (and the destructor) close everything and join.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "beamlink/result.h"

namespace beamlink {

struct HealthOptions {
  std::string address = "127.0.0.1";         // "0.0.0.0" in a pod, so the kubelet reaches it
  uint16_t port = 0;                         // 0: ephemeral, see HealthServer::port()
  std::function<bool()> live;                // empty: always live
  std::function<bool()> ready;               // empty: always ready
  std::function<std::string()> status_json;  // empty: {"ready":...}
  // Empty: no /metrics.
  std::function<std::string()> metrics_text;
  // Empty: no cluster page (/, /cluster, /events are 404).
  std::function<std::string()> cluster_json;
  std::chrono::milliseconds event_heartbeat{5000};  // quiet before a heartbeat comment
};

inline constexpr size_t kMaxEventStreams = 8;
inline constexpr size_t kMaxQueuedEventBytes = 64 * 1024;

class HealthServer {
 public:
  virtual ~HealthServer() = default;
  static Result<std::unique_ptr<HealthServer>> start(HealthOptions options);
  virtual uint16_t port() const = 0;
  // Sends one event to every open /events stream: "event: <name>" and
  // `data` (one "data:" line per line of it). Thread-safe; never blocks.
  virtual void publish_event(std::string_view name, std::string_view data) = 0;
  virtual void stop() = 0;
};

}  // namespace beamlink
