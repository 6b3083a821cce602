// config/node_config.h - a node's whole configuration: node settings,
// startup wait, reconciler tuning and topologies, read from a TOML file and
// overridden by the environment (the CLI applies its flags last).
//
// Precedence, lowest first: built-in defaults < TOML file < environment
// (BEAMLINK_*, then Elixir release variables RELEASE_NODE,
// RELEASE_DISTRIBUTION, RELEASE_COOKIE for what BEAMLINK_* leaves unset)
// < command-line flags. Every field is optional here so that each layer
// only overrides what it sets.
//
// TOML layout (README has the full table):
//   [node]        name, cookie, cookie_file, hidden, ticktime (s),
//                 listen_address, dist_port | dist_port_min + dist_port_max,
//                 epmd (bool), epmd_port, peer_port, log_level,
//                 liveness_probe, liveness_timeout, liveness_watchers, max_message_size,
//                 reassembly_budget (bytes, or "256MiB"), health_address,
//                 liveness_probe, liveness_timeout, dist_buf_busy_limit
//                 (bytes), send_timeout, busy_send_timeout, health_address,
//                 health_port, epmd_daemon, name_mode, basename, service_name,
//                 cluster_domain, max_mailbox, max_mailbox_policy,
//                 worker_threads (1..kMaxWorkerThreads), log_format (text | json)
//   [startup]     min_peers, timeout, required
//   [reconciler]  backoff_initial, backoff_max, jitter, resync_interval,
//                 connect_threads
//   [topologies.<name>]  strategy = "...", then that strategy's options,
//                 passed through untouched (the strategy validates them).
// Durations: integer = the unit the key names (seconds for ticktime,
// milliseconds elsewhere, as libcluster), or a string "500ms", "5s", "2m",
// "1.5s", "1h". Ports are 1..65535; dist_port excludes the min/max pair.
// Unknown tables and keys, wrong types and bad values are errors
// "file:line:column: ..." (Errc::malformed for TOML syntax,
// Errc::invalid_argument for the rest). Topologies keep file order.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/node.h"
#include "beamlink/result.h"
#include "config/cookie_source.h"

namespace beamlink::config {

inline constexpr uint64_t kMinReceiveBound = 64u << 10;
inline constexpr uint64_t kMaxReceiveBound = uint64_t{1} << 40;
// node.dist_buf_busy_limit's range in bytes (erl's +zdbbl takes 1 KiB..2 GiB).
inline constexpr int64_t kMinBusyLimit = 1 << 10;
inline constexpr int64_t kMaxBusyLimit = int64_t{2} << 30;
// node.worker_threads' range (NodeOptions::worker_threads).
inline constexpr int64_t kMaxWorkerThreads = 256;

struct NodeSettings {
  std::optional<std::string> name;
  std::optional<std::string> cookie;
  std::optional<std::string> cookie_file;
  std::optional<bool> hidden;
  std::optional<bool> connect_all;
  std::optional<std::chrono::milliseconds> ticktime;
  std::optional<std::string> listen_address;
  std::optional<uint16_t> port_min;  // inet_dist_listen_min
  std::optional<uint16_t> port_max;  // inet_dist_listen_max
  std::optional<bool> use_epmd;
  std::optional<uint16_t> epmd_port;
  std::optional<uint16_t> peer_port;
  std::optional<LogLevel> log_level;
  std::optional<LogFormat> log_format;  // the service's log lines; text when unset
  // Threads running handler processes, rpc functions and async receives.
  std::optional<unsigned> worker_threads;
  std::optional<std::chrono::milliseconds> liveness_probe;
  std::optional<std::chrono::milliseconds> liveness_timeout;
  std::optional<unsigned> liveness_watchers;  // 0..kMaxLivenessWatchers
  // Receiving bounds (NodeOptions): bytes, kMinReceiveBound..kMaxReceiveBound.
  std::optional<uint64_t> max_message_size;
  std::optional<uint64_t> reassembly_budget;
  // Back-pressure and the send timeout (NodeOptions): the busy limit in
  // bytes, the no-progress write timeout (0: off) and how long a sender
  // waits for a busy connection.
  std::optional<size_t> dist_buf_busy_limit;
  std::optional<std::chrono::milliseconds> send_timeout;
  std::optional<std::chrono::milliseconds> busy_send_timeout;
  // The HTTP health endpoint (/healthz, /readyz, /status); off unless a
  // port is set.
  std::optional<std::string> health_address;
  std::optional<uint16_t> health_port;
  // Run an EPMD daemon inside this process (as erl starts epmd when none
  // runs): one container per pod, EPMD on the node's listen address.
  std::optional<bool> epmd_daemon;
  // A node name built from the pod's environment (config/pod_name.h):
  // name_mode ip | dns | hostname, with basename, service_name (hostname
  // mode) and cluster_domain ("cluster.local"). Excludes `name` in the same
  // file; BEAMLINK_NODE / RELEASE_NODE and --name override it.
  std::optional<std::string> name_mode;
  std::optional<std::string> basename;
  std::optional<std::string> service_name;
  std::optional<std::string> cluster_domain;
  // ---- Mailbox limit (NodeOptions::max_mailbox) ----
  // max_mailbox: messages per process (0: none); max_mailbox_policy: drop | kill.
  std::optional<size_t> max_mailbox;
  std::optional<MailboxPolicy> max_mailbox_policy;
};

struct NodeConfig {
  NodeSettings node;
  StartupOptions startup;
  ReconcilerOptions reconciler;
  std::vector<TopologySpec> topologies;  // in file order
  std::string source;                    // file path, or "" when built in code
};

// Parses TOML text; `source` names it in errors ("dev.toml:3:1: ...").
Result<NodeConfig> parse_config(std::string_view toml_text, std::string_view source);
// Errc::not_found when there is no such file; files over 1 MiB are refused.
Result<NodeConfig> load_config_file(const std::string& path);

// Applies the environment over `config` (see the precedence above).
// Recognised: BEAMLINK_NODE, BEAMLINK_COOKIE, BEAMLINK_COOKIE_FILE,
// BEAMLINK_HIDDEN, BEAMLINK_TICKTIME, BEAMLINK_LISTEN_ADDRESS,
// BEAMLINK_DIST_PORT ("P" or "MIN-MAX"), BEAMLINK_EPMD ("true"/"false"),
// BEAMLINK_EPMD_PORT, ERL_EPMD_PORT (when BEAMLINK_EPMD_PORT is unset),
// BEAMLINK_PEER_PORT, BEAMLINK_HEALTH_ADDRESS, BEAMLINK_HEALTH_PORT,
// BEAMLINK_EPMD_DAEMON, BEAMLINK_LOG_LEVEL, BEAMLINK_LOG_FORMAT,
// BEAMLINK_WORKER_THREADS, BEAMLINK_MIN_PEERS,
// BEAMLINK_NAME_MODE,
// BEAMLINK_BASENAME, BEAMLINK_SERVICE_NAME, CLUSTER_DOMAIN (and, for
// name_mode, the pod's POD_IP, HOSTNAME, NAMESPACE or POD_NAMESPACE),
// BEAMLINK_STARTUP_TIMEOUT, RELEASE_NODE, RELEASE_DISTRIBUTION
// (name | sname | none), RELEASE_COOKIE. A malformed value is an error
// naming the variable, and leaves `config` untouched. Empty variables count
// as unset. RELEASE_NODE without "@host" gets this machine's host: the
// fully qualified name for RELEASE_DISTRIBUTION=name, the short one for
// sname or unset; RELEASE_DISTRIBUTION=none is an error. A cookie from the
// environment (either spelling) replaces both cookie and cookie_file.
Result<void> apply_env(NodeConfig& config, const EnvLookup& env);

// "debug" | "info" | "warning" | "error".
std::optional<LogLevel> parse_log_level(std::string_view text);
// "text" | "json".
std::optional<LogFormat> parse_log_format(std::string_view text);
// "drop" | "kill"
std::optional<MailboxPolicy> parse_mailbox_policy(std::string_view text);

}  // namespace beamlink::config
