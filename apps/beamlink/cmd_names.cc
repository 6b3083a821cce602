// `beamlink names [HOST]`: list the names a host's EPMD holds, printed
// exactly as `epmd -names` prints them.
#include <iostream>

#include "beamlink/epmd.h"
#include "command.h"

namespace beamlink::cli {
namespace {

class NamesCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.add_option("host", host_, "Host whose EPMD to ask")->capture_default_str();
    app.add_option("--port,-p", port_, "EPMD port (default: ERL_EPMD_PORT or 4369)");
    app.add_option("--timeout", timeout_ms_, "Give up after this many milliseconds")
        ->capture_default_str();
  }

  int run() override {
    epmd::ClientOptions options;
    options.host = host_;
    if (port_ != 0) options.port = port_;
    options.timeout = std::chrono::milliseconds(timeout_ms_);
    auto reply = epmd::names_reply(options);
    if (!reply) {
      std::cerr << "beamlink names: cannot list names at " << host_ << ":" << options.port << ": "
                << reply.error().to_string() << "\n";
      return 1;
    }
    std::cout << reply->to_epmd_text();
    return 0;
  }

 private:
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  int timeout_ms_ = 5000;
};

}  // namespace

std::unique_ptr<Command> make_names_command() {
  return std::make_unique<NamesCommand>();
}

}  // namespace beamlink::cli
