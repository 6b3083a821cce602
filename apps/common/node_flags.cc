#include "node_flags.h"

#include <unistd.h>

#include <charconv>
#include <iostream>

#include "config/cookie_source.h"
#include "log_line.h"

namespace beamlink::cli {
namespace {

bool parse_port(std::string_view text, uint16_t& out) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  out = static_cast<uint16_t>(value);
  return true;
}

// The host part for a generated helper-node name: the target's host when it
// is this machine's loopback, else this machine's host name.
std::string helper_host(std::string_view target) {
  size_t at = target.find('@');
  std::string host = at == std::string_view::npos ? "" : std::string(target.substr(at + 1));
  if (host == "localhost" || host.starts_with("127.") || host == "::1") return host;
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

void NodeFlags::add_to(CLI::App& app, bool require_name) {
  given_.name = app.add_option(
      "--name,-n", name,
      require_name ? "Node name, name@host (long) or name@shorthost (else BEAMLINK_NODE, "
                     "RELEASE_NODE or the config file's node.name)"
                   : "Node name, name@host (long) or name@shorthost");
  given_.cookie = app.add_option("--cookie,-c", cookie,
                                 "Magic cookie (else --cookie-file, BEAMLINK_COOKIE, "
                                 "RELEASE_COOKIE, ~/.erlang.cookie)");
  given_.cookie_file =
      app.add_option("--cookie-file", cookie_file, "Read the cookie from this file");
  given_.hidden =
      app.add_flag("--hidden", hidden, "Connect as a hidden node (not listed in peers' nodes())");
  given_.ticktime =
      app.add_option("--ticktime", ticktime_s, "net_ticktime in seconds (Erlang's default: 60)");
  given_.listen_address =
      app.add_option("--listen-address", listen_address, "Address the distribution port binds")
          ->capture_default_str();
  given_.port = app.add_option("--port", port_range,
                               "Distribution listen port or range MIN-MAX (default: ephemeral)");
  given_.no_epmd = app.add_flag("--no-epmd", no_epmd,
                                "Do not use EPMD: listen on --port and dial peers on --peer-port");
  given_.epmd_daemon = app.add_flag("--epmd-daemon", epmd_daemon,
                                    "Run an EPMD daemon in this process (if none answers yet)");
  given_.peer_port =
      app.add_option("--peer-port", peer_port, "Without EPMD: the port peers listen on");
  given_.epmd_port =
      app.add_option("--epmd-port", epmd_port, "EPMD port (default: ERL_EPMD_PORT or 4369)");
  given_.debug = app.add_flag("--debug,-d", debug, "Log protocol detail (--log-level debug)");
  given_.log_level =
      app.add_option("--log-level", log_level, "Lowest level logged: debug, info, warning, error");
}

Result<void> NodeFlags::overlay(config::NodeSettings& settings) const {
  if (given_.name->count() > 0) settings.name = name;
  if (given_.cookie->count() > 0) {
    settings.cookie = cookie;
    settings.cookie_file.reset();
  } else if (given_.cookie_file->count() > 0) {
    settings.cookie_file = cookie_file;
    settings.cookie.reset();
  }
  if (given_.hidden->count() > 0) settings.hidden = hidden;
  if (given_.ticktime->count() > 0) {
    settings.ticktime = std::chrono::milliseconds(static_cast<int64_t>(ticktime_s * 1000));
  }
  if (given_.listen_address->count() > 0) settings.listen_address = listen_address;
  if (given_.port->count() > 0) {
    // Checked again (with a clear message) by node_options_from.
    size_t dash = port_range.find('-');
    std::string_view lo = std::string_view(port_range).substr(0, dash);
    std::string_view hi =
        dash == std::string::npos ? lo : std::string_view(port_range).substr(dash + 1);
    uint16_t min = 0, max = 0;
    if (parse_port(lo, min) && parse_port(hi, max)) {
      settings.port_min = min;
      settings.port_max = max;
    } else {
      return fail(Errc::invalid_argument,
                  "--port must be PORT or MIN-MAX, got '" + port_range + "'");
    }
  }
  if (given_.no_epmd->count() > 0) settings.use_epmd = !no_epmd;
  if (given_.epmd_daemon->count() > 0) settings.epmd_daemon = epmd_daemon;
  if (given_.peer_port->count() > 0) settings.peer_port = peer_port;
  if (given_.epmd_port->count() > 0) settings.epmd_port = epmd_port;
  if (given_.log_level->count() > 0) {
    settings.log_level = config::parse_log_level(log_level);
    if (!settings.log_level) {
      return fail(Errc::invalid_argument,
                  "--log-level must be debug, info, warning or error, got '" + log_level + "'");
    }
  }
  if (given_.debug->count() > 0 && debug) settings.log_level = LogLevel::debug;
  return {};
}

NodeLogger make_logger(std::string area, LogLevel level) {
  return [level, area = std::move(area)](LogLevel at, std::string_view message) {
    if (at < level) return;
    const char* names[] = {"debug", "info", "warning", "error"};
    log_line(names[static_cast<int>(at)], area, message);
  };
}

Result<NodeOptions> node_options_from(const config::NodeSettings& settings, std::string_view area) {
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
  auto cookie =
      config::resolve_cookie({settings.cookie, settings.cookie_file, config::process_env()});
  if (!cookie) return std::unexpected(cookie.error());
  options.cookie = cookie->cookie;
  options.hidden = settings.hidden.value_or(false);
  options.connect_all = settings.connect_all.value_or(true);
  if (settings.ticktime) options.ticktime = *settings.ticktime;
  // A node named after a loopback address listens there (several "hosts"
  // on one machine); anything else listens everywhere, as erl does.
  std::string host = options.name.substr(options.name.find('@') + 1);
  std::string fallback = "0.0.0.0";
  if (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string::npos) {
    fallback = host;
  } else if (host == "localhost") {
    fallback = "127.0.0.1";
  }
  options.listen_address = settings.listen_address.value_or(fallback);
  options.listen_port_min = settings.port_min.value_or(0);
  options.listen_port_max = settings.port_max.value_or(options.listen_port_min);
  if (options.listen_port_min > options.listen_port_max) {
    return fail(Errc::invalid_argument, "the distribution port range is empty (min > max)");
  }
  options.use_epmd = settings.use_epmd.value_or(true);
  options.peer_port = settings.peer_port.value_or(0);
  options.epmd_port = settings.epmd_port.value_or(0);
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
  options.logger = make_logger(std::string(area), settings.log_level.value_or(LogLevel::info));
  return options;
}

Result<NodeOptions> NodeFlags::options(std::string_view command, std::string_view target) const {
  NodeOptions options;
  options.name =
      name.empty() ? "beamlink_" + std::to_string(::getpid()) + "@" + helper_host(target) : name;
  if (options.name.find('@') == std::string::npos) {
    return fail(Errc::invalid_argument, "--name must be name@host, got '" + options.name + "'");
  }
  auto cookie_result = config::resolve_cookie({cookie, cookie_file, config::process_env()});
  if (!cookie_result) return std::unexpected(cookie_result.error());
  options.cookie = cookie_result->cookie;
  options.hidden = hidden || name.empty();  // helper nodes stay out of nodes()
  if (ticktime_s > 0)
    options.ticktime = std::chrono::milliseconds(static_cast<int64_t>(ticktime_s * 1000));
  options.listen_address = listen_address;
  // A helper node talking to a node on this machine's loopback listens on
  // the loopback address its name carries, unless told otherwise: a peer
  // that dials it back (it may find it in EPMD) must reach it there.
  std::string host = helper_host(target);
  if (name.empty() && listen_address == "0.0.0.0" &&
      (host == "localhost" || host.starts_with("127."))) {
    options.listen_address = host == "localhost" ? "127.0.0.1" : host;
  }
  if (!port_range.empty()) {
    size_t dash = port_range.find('-');
    std::string_view lo = std::string_view(port_range).substr(0, dash);
    std::string_view hi =
        dash == std::string::npos ? lo : std::string_view(port_range).substr(dash + 1);
    if (!parse_port(lo, options.listen_port_min) || !parse_port(hi, options.listen_port_max) ||
        options.listen_port_min > options.listen_port_max) {
      return fail(Errc::invalid_argument,
                  "--port must be PORT or MIN-MAX, got '" + port_range + "'");
    }
  }
  options.use_epmd = !no_epmd;
  options.peer_port = peer_port;
  options.epmd_port = epmd_port;
  bool verbose = debug;
  std::string area(command);
  options.logger = [verbose, area](LogLevel level, std::string_view message) {
    if (level == LogLevel::debug && !verbose) return;
    const char* names[] = {"debug", "info", "warning", "error"};
    log_line(names[static_cast<int>(level)], area, message);
  };
  return options;
}

std::unique_ptr<Node> start_node(std::string_view command, NodeOptions options) {
  std::string name = options.name;
  auto node = Node::start(std::move(options));
  if (!node) {
    std::cerr << "beamlink " << command << ": cannot start node " << name << ": "
              << node.error().to_string() << "\n";
    return nullptr;
  }
  return std::move(*node);
}

}  // namespace beamlink::cli
