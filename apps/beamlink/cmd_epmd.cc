// `beamlink epmd`: run the EPMD-compatible port mapper in the foreground
// until SIGINT or SIGTERM (or an honoured KILL_REQ).
#include <iostream>

#include "beamlink/epmd.h"
#include "beamlink/service.h"
#include "command.h"
#include "node_flags.h"

namespace beamlink::cli {
namespace {

class EpmdCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.add_option("--port,-p", port_, "TCP port to listen on (default: ERL_EPMD_PORT or 4369)");
    app.add_option("--address,-a", addresses_,
                   "IP address to listen on; repeat or separate with commas "
                   "(default: every interface, like epmd)")
        ->delimiter(',');
    app.add_flag("--relaxed-command-check", relaxed_,
                 "Allow kill while nodes are registered, and stop (local host only)");
    app.add_flag("--debug,-d", debug_, "Log every request");
  }

  int run() override {
    block_stop_signals();  // before the server thread starts

    epmd::ServerOptions options;
    options.addresses = addresses_;
    options.port = port_ != 0 ? port_ : epmd::default_port();
    options.relaxed_command_check = relaxed_;
    options.logger = cli_logger(debug_ ? LogLevel::debug : LogLevel::info);
    auto server = epmd::Server::start(options);
    if (!server) {
      std::cerr << "beamlink epmd: " << server.error().to_string() << "\n";
      return 1;
    }
    auto signal =
        wait_for_stop_signal([&] { return (*server)->wait_for(std::chrono::milliseconds(0)); });
    if (signal) {
      options.logger(LogLevel::info, "epmd", "stopping on " + *signal);
      (*server)->stop();
    }
    (*server)->wait();
    return 0;
  }

 private:
  uint16_t port_ = 0;
  std::vector<std::string> addresses_;
  bool relaxed_ = false;
  bool debug_ = false;
};

}  // namespace

std::unique_ptr<Command> make_epmd_command() {
  return std::make_unique<EpmdCommand>();
}

}  // namespace beamlink::cli
