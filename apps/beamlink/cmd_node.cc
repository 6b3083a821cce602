// `beamlink node`: run a node in the foreground. It logs nodeup/nodedown,
// and registers `echo`, which answers {Pid, Term} by sending Term to Pid.
#include <iostream>

#include "beamlink/term_text.h"
#include "command.h"
#include "log_line.h"
#include "node_flags.h"
#include "stop_signal.h"

namespace beamlink::cli {
namespace {

class NodeCommand : public Command {
 public:
  void add_options(CLI::App& app) override { flags_.add_to(app, /*require_name=*/true); }

  int run() override {
    auto options = flags_.options("node");
    if (!options) {
      std::cerr << "beamlink node: " << options.error().message << "\n";
      return 2;
    }
    block_stop_signals();  // before the node's threads start
    auto node = start_node("node", std::move(*options));
    if (!node) return 1;

    // The runtime logs nodeup/nodedown (with their reasons) through the logger.
    SpawnOptions echo_options;
    echo_options.register_as = "echo";
    auto echo = node->spawn_handler(
        [](Process& self, Term message) {
          const Tuple* t = message.get_if<Tuple>();
          if (t != nullptr && t->elements.size() == 2 && t->elements[0].is<Pid>()) {
            self.send(t->elements[0].as<Pid>(), t->elements[1]);
          }
        },
        echo_options);
    if (!echo) {
      std::cerr << "beamlink node: cannot start echo: " << echo.error().to_string() << "\n";
      return 1;
    }
    log_line("info", "node",
             "node " + node->name() + " up, distribution port " +
                 std::to_string(node->listen_port()) + ", creation " +
                 std::to_string(node->creation()) + "; echo is " + format_term(Term(*echo)));

    auto signal = wait_for_stop_signal([] { return false; });
    log_line("info", "node", "stopping on " + signal.value_or("request"));
    node->stop();
    return 0;
  }

 private:
  NodeFlags flags_;
};

}  // namespace

std::unique_ptr<Command> make_node_command() {
  return std::make_unique<NodeCommand>();
}

}  // namespace beamlink::cli
