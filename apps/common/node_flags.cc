#include "node_flags.h"

#include <unistd.h>

#include <charconv>
#include <iostream>

#include "config/cookie_source.h"
#include "config/node_config.h"
#include "service/log_sink.h"

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

Result<std::pair<uint16_t, uint16_t>> NodeFlags::port_range_flag() const {
  size_t dash = port_range.find('-');
  std::string_view lo = std::string_view(port_range).substr(0, dash);
  std::string_view hi =
      dash == std::string::npos ? lo : std::string_view(port_range).substr(dash + 1);
  uint16_t min = 0, max = 0;
  if (!parse_port(lo, min) || !parse_port(hi, max) || min > max) {
    return fail(Errc::invalid_argument, "--port must be PORT or MIN-MAX, got '" + port_range + "'");
  }
  return std::pair{min, max};
}

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
  given_.log_format =
      app.add_option("--log-format", log_format, "Log lines as text (default) or json");
  given_.worker_threads = app.add_option("--worker-threads", worker_threads,
                                         "Threads running handlers and rpc functions (default 1)")
                              ->check(CLI::Range(int64_t{1}, config::kMaxWorkerThreads));
}

Result<ServiceOverrides> NodeFlags::overrides() const {
  ServiceOverrides o;
  if (given_.name->count() > 0) o.name = name;
  if (given_.cookie->count() > 0) {
    o.cookie = cookie;
  } else if (given_.cookie_file->count() > 0) {
    o.cookie_file = cookie_file;
  }
  if (given_.hidden->count() > 0) o.hidden = hidden;
  if (given_.ticktime->count() > 0) {
    o.ticktime = std::chrono::milliseconds(static_cast<int64_t>(ticktime_s * 1000));
  }
  if (given_.listen_address->count() > 0) o.listen_address = listen_address;
  if (given_.port->count() > 0) {
    auto range = port_range_flag();
    if (!range) return std::unexpected(range.error());
    o.port_min = range->first;
    o.port_max = range->second;
  }
  if (given_.no_epmd->count() > 0) o.use_epmd = !no_epmd;
  if (given_.epmd_daemon->count() > 0) o.epmd_daemon = epmd_daemon;
  if (given_.peer_port->count() > 0) o.peer_port = peer_port;
  if (given_.epmd_port->count() > 0) o.epmd_port = epmd_port;
  if (given_.log_level->count() > 0) {
    o.log_level = config::parse_log_level(log_level);
    if (!o.log_level) {
      return fail(Errc::invalid_argument,
                  "--log-level must be debug, info, warning or error, got '" + log_level + "'");
    }
  }
  if (given_.debug->count() > 0 && debug) o.log_level = LogLevel::debug;
  if (given_.log_format->count() > 0) {
    o.log_format = config::parse_log_format(log_format);
    if (!o.log_format) {
      return fail(Errc::invalid_argument,
                  "--log-format must be text or json, got '" + log_format + "'");
    }
  }
  if (given_.worker_threads->count() > 0) o.worker_threads = worker_threads;
  return o;
}

Logger cli_logger(LogLevel level) {
  return service::make_log_sink(LogFormat::text, level);
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
    auto range = port_range_flag();
    if (!range) return std::unexpected(range.error());
    options.listen_port_min = range->first;
    options.listen_port_max = range->second;
  }
  options.use_epmd = !no_epmd;
  options.peer_port = peer_port;
  options.epmd_port = epmd_port;
  options.worker_threads = worker_threads;
  // The helper node's lines name the command ("[beamlink:rpc]").
  options.logger = [sink = cli_logger(debug ? LogLevel::debug : LogLevel::info),
                    area = std::string(command)](LogLevel level, std::string_view,
                                                 std::string_view message) {
    sink(level, area, message);
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
