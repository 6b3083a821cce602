// The environment half of config/node_config.h: apply_env.
//
// An empty variable counts as unset (as `VAR= beamlink node` means). Within
// the environment, BEAMLINK_* wins over the Elixir release variables and
// ERL_EPMD_PORT; the environment as a whole wins over the file.
#include <limits>

#include "config/host_name.h"
#include "config/node_config.h"
#include "config/pod_name.h"
#include "config/value_parsers.h"

namespace beamlink::config {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMaxPeers = 1'000'000;

class Env {
 public:
  explicit Env(const EnvLookup& lookup) : lookup_(lookup) {}

  std::optional<std::string> get(const std::string& name) const {
    if (!lookup_) return std::nullopt;
    auto value = lookup_(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
  }

 private:
  const EnvLookup& lookup_;
};

std::unexpected<Error> malformed(const std::string& name, const std::string& value,
                                 const std::string& expected) {
  return fail(Errc::invalid_argument, name + " must be " + expected + ", got '" + value + "'");
}

// Reads `name` with `parse` into `out` when it is set.
template <class T, class Parse>
Result<void> read(const Env& env, const std::string& name, std::optional<T>& out,
                  const std::string& expected, Parse parse) {
  auto text = env.get(name);
  if (!text) return {};
  auto value = parse(*text);
  if (!value) return malformed(name, *text, expected);
  out = static_cast<T>(*value);
  return {};
}

// The node name: BEAMLINK_NODE as given, else RELEASE_NODE, completed with
// this host as RELEASE_DISTRIBUTION says (sname when unset, as releases do).
Result<void> apply_name(const Env& env, NodeSettings& node) {
  auto distribution = env.get("RELEASE_DISTRIBUTION");
  if (distribution == "none") {
    return fail(Errc::invalid_argument, "beamlink needs distribution; RELEASE_DISTRIBUTION=none");
  }
  if (distribution && *distribution != "name" && *distribution != "sname") {
    return malformed("RELEASE_DISTRIBUTION", *distribution, "name, sname or none");
  }
  if (auto name = env.get("BEAMLINK_NODE")) {
    if (!is_node_name(*name)) return malformed("BEAMLINK_NODE", *name, "name@host");
    node.name = *name;
    return {};
  }
  auto release_node = env.get("RELEASE_NODE");
  if (!release_node) return {};
  std::string name = *release_node;
  if (name.find('@') == std::string::npos) {
    name += "@" + (distribution == "name" ? long_host_name() : short_host_name());
  }
  if (!is_node_name(name)) return malformed("RELEASE_NODE", *release_node, "name or name@host");
  node.name = name;
  return {};
}

// The cookie is one setting spelled two ways: whichever the environment
// gives replaces both of the file's. BEAMLINK_COOKIE and
// BEAMLINK_COOKIE_FILE may both be set; the cookie then wins, as --cookie
// does over --cookie-file.
void apply_cookie(const Env& env, NodeSettings& node) {
  auto cookie = env.get("BEAMLINK_COOKIE");
  auto cookie_file = env.get("BEAMLINK_COOKIE_FILE");
  if (!cookie && !cookie_file) cookie = env.get("RELEASE_COOKIE");
  if (!cookie && !cookie_file) return;
  node.cookie = cookie;
  node.cookie_file = cookie_file;
}

// name_mode: the name from the pod's environment, unless BEAMLINK_NODE or
// RELEASE_NODE named the node outright.
Result<void> apply_pod_name(const Env& env, NodeSettings& node, bool named_by_env) {
  if (auto mode = env.get("BEAMLINK_NAME_MODE")) {
    if (!parse_pod_name_mode(*mode))
      return malformed("BEAMLINK_NAME_MODE", *mode, "ip, dns or hostname");
    node.name_mode = *mode;
  }
  if (auto basename = env.get("BEAMLINK_BASENAME")) node.basename = *basename;
  if (auto service = env.get("BEAMLINK_SERVICE_NAME")) node.service_name = *service;
  if (auto domain = env.get("CLUSTER_DOMAIN")) node.cluster_domain = *domain;
  if (!node.name_mode || named_by_env) return {};
  if (!node.basename || node.basename->empty() || node.basename->find('@') != std::string::npos) {
    return fail(
        Errc::invalid_argument,
        "name_mode " + *node.name_mode + " needs a basename (node.basename or BEAMLINK_BASENAME)");
  }
  PodIdentity pod;
  pod.ip = env.get("POD_IP").value_or("");
  pod.hostname = env.get("HOSTNAME").value_or("");
  pod.ns = env.get("NAMESPACE").value_or(env.get("POD_NAMESPACE").value_or(""));
  pod.service = node.service_name.value_or("");
  pod.domain = node.cluster_domain.value_or("cluster.local");
  auto host = pod_host(*parse_pod_name_mode(*node.name_mode), pod);
  if (!host) return std::unexpected(host.error());
  node.name = *node.basename + "@" + *host;
  return {};
}

Result<void> apply_node(const Env& env, NodeSettings& node) {
  auto name = apply_name(env, node);
  if (!name) return name;
  bool named_by_env = env.get("BEAMLINK_NODE") || env.get("RELEASE_NODE");
  if (auto pod = apply_pod_name(env, node, named_by_env); !pod) return pod;
  apply_cookie(env, node);
  auto identity = [](const std::string& s) { return std::optional<std::string>(s); };
  auto ticktime = [](std::string_view s) -> std::optional<milliseconds> {
    auto value = parse_duration_or(s, milliseconds(1000));
    if (value && value->count() == 0) return std::nullopt;
    return value;
  };
  auto port = [](std::string_view s) { return parse_port(s); };
  auto bytes = [](std::string_view s) {
    return parse_byte_size(s, kMinReceiveBound, kMaxReceiveBound);
  };
  const std::string bytes_text = "a size in bytes " + std::to_string(kMinReceiveBound) + ".." +
                                 std::to_string(kMaxReceiveBound) + " (like 1073741824 or 1GiB)";
  const std::string port_text = "a port 1..65535";
  for (auto result : {
           read(env, "BEAMLINK_HIDDEN", node.hidden, "true or false", parse_bool),
           read(env, "BEAMLINK_CONNECT_ALL", node.connect_all, "true or false", parse_bool),
           read(env, "BEAMLINK_TICKTIME", node.ticktime,
                "a duration above zero (seconds, or like \"5s\")", ticktime),
           read(env, "BEAMLINK_LISTEN_ADDRESS", node.listen_address, "an address", identity),
           read(env, "BEAMLINK_EPMD", node.use_epmd, "true or false", parse_bool),
           read(env, "BEAMLINK_EPMD_DAEMON", node.epmd_daemon, "true or false", parse_bool),
           read(env, "BEAMLINK_PEER_PORT", node.peer_port, port_text, port),
           read(env, "BEAMLINK_HEALTH_ADDRESS", node.health_address, "an address", identity),
           read(env, "BEAMLINK_HEALTH_PORT", node.health_port, port_text, port),
           read(env, "BEAMLINK_LOG_LEVEL", node.log_level, "debug, info, warning or error",
                parse_log_level),
           read(env, "BEAMLINK_LOG_FORMAT", node.log_format, "text or json", parse_log_format),
           read(env, "BEAMLINK_WORKER_THREADS", node.worker_threads,
                "a thread count 1.." + std::to_string(kMaxWorkerThreads),
                [](std::string_view s) { return parse_integer(s, 1, kMaxWorkerThreads); }),
           read(env, "BEAMLINK_MAX_MESSAGE_SIZE", node.max_message_size, bytes_text, bytes),
           read(env, "BEAMLINK_REASSEMBLY_BUDGET", node.reassembly_budget, bytes_text, bytes),
           read(env, "BEAMLINK_MAX_MAILBOX", node.max_mailbox, "a message count (0: no limit)",
                [](std::string_view s) -> std::optional<size_t> {
                  auto value = parse_integer(s, 0, std::numeric_limits<int64_t>::max());
                  if (!value) return std::nullopt;
                  return static_cast<size_t>(*value);
                }),
           read(env, "BEAMLINK_MAX_MAILBOX_POLICY", node.max_mailbox_policy, "drop or kill",
                parse_mailbox_policy),
           read(env, "BEAMLINK_DIST_BUF_BUSY_LIMIT", node.dist_buf_busy_limit,
                "a byte count " + std::to_string(kMinBusyLimit) + ".." +
                    std::to_string(kMaxBusyLimit),
                [](std::string_view s) { return parse_integer(s, kMinBusyLimit, kMaxBusyLimit); }),
           read(env, "BEAMLINK_SEND_TIMEOUT", node.send_timeout,
                "a duration (milliseconds, or like \"10s\"; 0 turns it off)",
                [](std::string_view s) { return parse_duration_or(s, milliseconds(1)); }),
           read(env, "BEAMLINK_BUSY_SEND_TIMEOUT", node.busy_send_timeout,
                "a duration (milliseconds, or like \"10s\")",
                [](std::string_view s) { return parse_duration_or(s, milliseconds(1)); }),
       }) {
    if (!result) return result;
  }
  std::string epmd_port_var =
      env.get("BEAMLINK_EPMD_PORT") ? "BEAMLINK_EPMD_PORT" : "ERL_EPMD_PORT";
  auto epmd_port = read(env, epmd_port_var, node.epmd_port, port_text, port);
  if (!epmd_port) return epmd_port;
  if (auto text = env.get("BEAMLINK_DIST_PORT")) {
    auto range = parse_port_range(*text);
    if (!range) return malformed("BEAMLINK_DIST_PORT", *text, "PORT or MIN-MAX (1..65535)");
    node.port_min = range->min;
    node.port_max = range->max;
  }
  return {};
}

Result<void> apply_startup(const Env& env, StartupOptions& startup) {
  if (auto text = env.get("BEAMLINK_MIN_PEERS")) {
    auto value = parse_integer(*text, 0, kMaxPeers);
    if (!value) return malformed("BEAMLINK_MIN_PEERS", *text, "a count 0..1000000");
    startup.min_peers = static_cast<size_t>(*value);
  }
  if (auto text = env.get("BEAMLINK_STARTUP_TIMEOUT")) {
    auto value = parse_duration_or(*text, milliseconds(1));
    if (!value) {
      return malformed("BEAMLINK_STARTUP_TIMEOUT", *text,
                       "a duration (milliseconds, or like \"30s\")");
    }
    startup.timeout = *value;
  }
  return {};
}

}  // namespace

Result<void> apply_env(NodeConfig& config, const EnvLookup& env) {
  Env vars(env);
  NodeConfig updated = config;  // all or nothing: `config` is untouched on error
  auto node = apply_node(vars, updated.node);
  if (!node) return node;
  auto startup = apply_startup(vars, updated.startup);
  if (!startup) return startup;
  config = std::move(updated);
  return {};
}

}  // namespace beamlink::config
