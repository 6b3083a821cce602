// node_flags.h - the command-line flags every node-running command shares
// (--name, --cookie, --cookie-file, --hidden, --ticktime, ...). For a named
// node run as a service (`beamlink node`) they become the overrides layer
// of beamlink::Service (beamlink/service.h: file < environment < flags);
// for a helper node (`beamlink rpc`, ...) they become NodeOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <utility>

#include "beamlink/node.h"
#include "beamlink/result.h"
#include "beamlink/service.h"

namespace beamlink::cli {

struct NodeFlags {
  std::string name;
  std::optional<std::string> cookie;
  std::optional<std::string> cookie_file;
  bool hidden = false;
  double ticktime_s = 0;  // 0: the library default
  std::string listen_address = "0.0.0.0";
  std::string port_range;  // "P" or "MIN-MAX"
  bool no_epmd = false;
  bool epmd_daemon = false;
  uint16_t peer_port = 0;
  uint16_t epmd_port = 0;
  bool debug = false;
  std::string log_level;   // "" unless --log-level was given
  std::string log_format;  // "" unless --log-format was given
  unsigned worker_threads = 1;

  // `require_name`: the command runs a named node (`beamlink node`);
  // otherwise a hidden helper node gets a generated name.
  void add_to(CLI::App& app, bool require_name);

  // Builds NodeOptions; `target` (a node to talk to) picks the host part of a
  // generated name. Errors are one line, ready to print.
  Result<NodeOptions> options(std::string_view command, std::string_view target = {}) const;

  // For a named node run as a service: the flags given on the command
  // line (and only those), as the layer that wins over file and environment.
  Result<ServiceOverrides> overrides() const;

 private:
  // --port as (min, max).
  Result<std::pair<uint16_t, uint16_t>> port_range_flag() const;

  struct Given {
    CLI::Option *name = nullptr, *cookie = nullptr, *cookie_file = nullptr, *hidden = nullptr,
                *ticktime = nullptr, *listen_address = nullptr, *port = nullptr, *no_epmd = nullptr,
                *epmd_daemon = nullptr, *peer_port = nullptr, *epmd_port = nullptr,
                *debug = nullptr, *log_level = nullptr, *log_format = nullptr,
                *worker_threads = nullptr;
  } given_;
};

// The CLI's own log lines (text format, on stderr): `level` and above.
Logger cli_logger(LogLevel level);

// Starts a node, printing a one-line error and returning nullptr on failure.
std::unique_ptr<Node> start_node(std::string_view command, NodeOptions options);

}  // namespace beamlink::cli
