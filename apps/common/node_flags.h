// node_flags.h - the command-line flags every node-running command shares
// (--name, --cookie, --cookie-file, --hidden, --ticktime, ...) and turning
// them into NodeOptions. This is the CLI's composition root for nodes: the
// only place that reads the environment for node settings.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "beamlink/node.h"
#include "beamlink/result.h"
#include "config/node_config.h"

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
  std::string log_level;  // "" unless --log-level was given

  // `require_name`: the command runs a named node (`beamlink node`);
  // otherwise a hidden helper node gets a generated name.
  void add_to(CLI::App& app, bool require_name);

  // Builds NodeOptions; `target` (a node to talk to) picks the host part of a
  // generated name. Errors are one line, ready to print.
  Result<NodeOptions> options(std::string_view command, std::string_view target = {}) const;

  // For a named node run from a config: writes the flags given on the
  // command line over `settings` (the file and environment already
  // applied), so flags win.
  Result<void> overlay(config::NodeSettings& settings) const;

 private:
  struct Given {
    CLI::Option *name = nullptr, *cookie = nullptr, *cookie_file = nullptr, *hidden = nullptr,
                *ticktime = nullptr, *listen_address = nullptr, *port = nullptr, *no_epmd = nullptr,
                *epmd_daemon = nullptr, *peer_port = nullptr, *epmd_port = nullptr,
                *debug = nullptr, *log_level = nullptr;
  } given_;
};

// NodeOptions from merged settings (file < environment < flags). Errors are
// one line, ready to print. `area` names the log lines of the node.
Result<NodeOptions> node_options_from(const config::NodeSettings& settings, std::string_view area);

// A log filter: `level` and above are printed.
NodeLogger make_logger(std::string area, LogLevel level);

// Starts a node, printing a one-line error and returning nullptr on failure.
std::unique_ptr<Node> start_node(std::string_view command, NodeOptions options);

}  // namespace beamlink::cli
