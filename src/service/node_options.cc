#include "service/node_options.h"

namespace beamlink::service {
namespace {

// A node named after a loopback address listens there (several "hosts" on
// one machine); anything else listens everywhere, as erl does.
std::string default_listen_address(const std::string& name) {
  std::string host = name.substr(name.find('@') + 1);
  if (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string::npos) {
    return host;
  }
  if (host == "localhost") return "127.0.0.1";
  return "0.0.0.0";
}

}  // namespace

Result<NodeOptions> node_options_from(const config::NodeSettings& settings, Logger logger,
                                      const config::EnvLookup& env) {
  NodeOptions options;
  if (!settings.name || settings.name->empty()) {
    return fail(Errc::invalid_argument,
                "no node name: give --name, BEAMLINK_NODE, RELEASE_NODE or node.name in the "
                "config file");
  }
  options.name = *settings.name;
  if (options.name.find('@') == std::string::npos) {
    return fail(Errc::invalid_argument,
                "the node name must be name@host, got '" + options.name + "'");
  }
  auto cookie = config::resolve_cookie({settings.cookie, settings.cookie_file, env});
  if (!cookie) return std::unexpected(cookie.error());
  options.cookie = cookie->cookie;
  options.hidden = settings.hidden.value_or(false);
  options.connect_all = settings.connect_all.value_or(true);
  if (settings.ticktime) options.ticktime = *settings.ticktime;
  options.listen_address = settings.listen_address.value_or(default_listen_address(options.name));
  options.listen_port_min = settings.port_min.value_or(0);
  options.listen_port_max = settings.port_max.value_or(options.listen_port_min);
  if (options.listen_port_min > options.listen_port_max) {
    return fail(Errc::invalid_argument, "the distribution port range is empty (min > max)");
  }
  options.use_epmd = settings.use_epmd.value_or(true);
  options.peer_port = settings.peer_port.value_or(0);
  options.epmd_port = settings.epmd_port.value_or(0);
  if (settings.worker_threads) {
    if (*settings.worker_threads < 1 || *settings.worker_threads > config::kMaxWorkerThreads) {
      return fail(Errc::invalid_argument, "worker_threads must be 1.." +
                                              std::to_string(config::kMaxWorkerThreads) + ", got " +
                                              std::to_string(*settings.worker_threads));
    }
    options.worker_threads = *settings.worker_threads;
  }
  if (settings.liveness_probe) options.liveness_probe = *settings.liveness_probe;
  if (settings.liveness_timeout) options.liveness_timeout = *settings.liveness_timeout;
  if (settings.liveness_watchers) options.liveness_watchers = *settings.liveness_watchers;
  if (settings.max_message_size) options.max_message_size = *settings.max_message_size;
  if (settings.reassembly_budget) options.reassembly_budget = *settings.reassembly_budget;
  if (settings.max_mailbox) options.max_mailbox.messages = *settings.max_mailbox;
  if (settings.max_mailbox_policy) options.max_mailbox.policy = *settings.max_mailbox_policy;
  if (settings.dist_buf_busy_limit) options.dist_buf_busy_limit = *settings.dist_buf_busy_limit;
  if (settings.send_timeout) options.send_timeout = *settings.send_timeout;
  if (settings.busy_send_timeout) options.busy_send_timeout = *settings.busy_send_timeout;
  options.logger = std::move(logger);
  return options;
}

}  // namespace beamlink::service
