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
  auto* name_opt =
      app.add_option("--name,-n", name, "Node name, name@host (long) or name@shorthost");
  if (require_name) name_opt->required();
  app.add_option("--cookie,-c", cookie,
                 "Magic cookie (else --cookie-file, BEAMLINK_COOKIE, "
                 "RELEASE_COOKIE, ~/.erlang.cookie)");
  app.add_option("--cookie-file", cookie_file, "Read the cookie from this file");
  app.add_flag("--hidden", hidden, "Connect as a hidden node (not listed in peers' nodes())");
  app.add_option("--ticktime", ticktime_s, "net_ticktime in seconds (Erlang's default: 60)");
  app.add_option("--listen-address", listen_address, "Address the distribution port binds")
      ->capture_default_str();
  app.add_option("--port", port_range,
                 "Distribution listen port or range MIN-MAX (default: ephemeral)");
  app.add_flag("--no-epmd", no_epmd,
               "Do not use EPMD: listen on --port and dial peers on --peer-port");
  app.add_option("--peer-port", peer_port, "Without EPMD: the port peers listen on");
  app.add_option("--epmd-port", epmd_port, "EPMD port (default: ERL_EPMD_PORT or 4369)");
  app.add_flag("--debug,-d", debug, "Log protocol detail");
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
  // loopback too, unless told otherwise.
  std::string host = helper_host(target);
  if (name.empty() && listen_address == "0.0.0.0" &&
      (host == "localhost" || host.starts_with("127."))) {
    options.listen_address = "127.0.0.1";
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
