// remote_command.h - the shared shape of one-shot commands (ping, rpc,
// send, nodes, global ...): a target NODE, the helper node's flags and a
// timeout; start() brings up a hidden helper node to talk to NODE.
#pragma once

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "command.h"
#include "node_flags.h"

namespace beamlink::cli {

// Shared set-up: the target node, the helper node's flags, a timeout.
class RemoteCommand : public Command {
 protected:
  void add_common(CLI::App& app) {
    app.add_option("node", target_, "The node to talk to, name@host")->required();
    flags_.add_to(app, /*require_name=*/false);
    app.add_option("--timeout", timeout_s_, "Give up after this many seconds")
        ->capture_default_str();
  }

  std::unique_ptr<Node> start(std::string_view command) {
    auto options = flags_.options(command, target_);
    if (!options) {
      std::cerr << "beamlink " << command << ": " << options.error().message << "\n";
      return nullptr;
    }
    options->setup_time = timeout();
    return start_node(command, std::move(*options));
  }

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<int64_t>(timeout_s_ * 1000));
  }

  std::string target_;
  NodeFlags flags_;
  double timeout_s_ = 10;
};

}  // namespace beamlink::cli
