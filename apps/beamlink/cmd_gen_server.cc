// `beamlink call | cast`: gen_server:call and gen_server:cast to a process
// registered on NODE (Erlang, Elixir or beamlink), from a hidden helper
// node as the other one-shot commands use.
//
// `call` prints the reply in Erlang syntax (exit 0), or one line on stderr
// and an exit code per failure: 3 timeout, 4 noproc, 5 noconnection,
// 6 the server exited (its reason is printed).
#include <algorithm>
#include <iostream>
#include <utility>
#include <variant>

#include "beamlink/term_text.h"
#include "command.h"
#include "node_flags.h"

namespace beamlink::cli {
namespace {

int exit_code(CallFailure kind) {
  switch (kind) {
    case CallFailure::timeout:
      return 3;
    case CallFailure::noproc:
      return 4;
    case CallFailure::noconnection:
      return 5;
    case CallFailure::exited:
      return 6;
    case CallFailure::calling_self:
    case CallFailure::stopped:
      break;
  }
  return 1;
}

class GenServerCommand : public Command {
 protected:
  void add_common(CLI::App& app) {
    app.add_option("node", target_, "The node the server runs on, name@host")->required();
    app.add_option("name", name_, "The name the server is registered under on NODE")->required();
    app.add_option("request", request_, "The request in Erlang syntax, e.g. '{get, key}'")
        ->required();
    flags_.add_to(app, /*require_name=*/false);
  }

  // The parsed request and a started helper node, or the exit code.
  std::variant<int, std::pair<Term, std::unique_ptr<Node>>> prepare(
      std::string_view command, std::chrono::milliseconds setup_time) {
    auto request = parse_term(request_);
    if (!request) {
      std::cerr << "beamlink " << command << ": " << request.error().message << "\n";
      return 2;
    }
    auto options = flags_.options(command, target_);
    if (!options) {
      std::cerr << "beamlink " << command << ": " << options.error().message << "\n";
      return 2;
    }
    options->setup_time = setup_time;
    auto node = start_node(command, std::move(*options));
    if (!node) return 1;
    return std::pair{std::move(*request), std::move(node)};
  }

  std::string target_, name_, request_;
  NodeFlags flags_;
};

class CallCommand : public GenServerCommand {
 public:
  void add_options(CLI::App& app) override {
    add_common(app);
    app.add_option("--timeout", timeout_ms_, "Give up after this many milliseconds")
        ->capture_default_str();
  }
  int run() override {
    auto timeout = std::chrono::milliseconds(timeout_ms_);
    auto prepared = prepare("call", std::max(timeout, std::chrono::milliseconds(1000)));
    if (const int* code = std::get_if<int>(&prepared)) return *code;
    auto& [request, node] = std::get<1>(prepared);
    auto reply = node->call(ServerRef::remote(name_, target_), std::move(request), timeout);
    if (!reply) {
      const CallError& error = reply.error();
      std::cerr << "beamlink call: " << name_ << " on " << target_ << ": ";
      switch (error.kind) {
        case CallFailure::timeout:
          std::cerr << "timeout (no reply in " << timeout_ms_ << " ms)";
          break;
        case CallFailure::noproc:
          std::cerr << "noproc (no process is registered as " << name_ << ")";
          break;
        case CallFailure::noconnection:
          std::cerr << "noconnection (" << target_ << " cannot be reached)";
          break;
        case CallFailure::exited:
          std::cerr << "exit " << format_term(error.reason);
          break;
        default:
          std::cerr << error.message;
      }
      std::cerr << "\n";
      return exit_code(error.kind);
    }
    std::cout << format_term(*reply) << "\n";
    return 0;
  }

 private:
  int64_t timeout_ms_ = 5000;
};

class CastCommand : public GenServerCommand {
 public:
  void add_options(CLI::App& app) override {
    add_common(app);
    app.add_option("--timeout", timeout_ms_, "Give up connecting after this many milliseconds")
        ->capture_default_str();
  }
  int run() override {
    auto timeout = std::chrono::milliseconds(timeout_ms_);
    auto prepared = prepare("cast", timeout);
    if (const int* code = std::get_if<int>(&prepared)) return *code;
    auto& [request, node] = std::get<1>(prepared);
    if (auto connected = node->connect(target_); !connected) {
      std::cerr << "beamlink cast: " << target_ << ": noconnection (" << connected.error().message
                << ")\n";
      return exit_code(CallFailure::noconnection);
    }
    node->cast(ServerRef::remote(name_, target_), std::move(request));
    // As `send`: a ping answered means the cast was read before we exit.
    if (!node->ping(target_, timeout)) {
      std::cerr << "beamlink cast: " << target_ << " did not answer after the cast\n";
      return 1;
    }
    return 0;
  }

 private:
  int64_t timeout_ms_ = 10000;
};

}  // namespace

std::unique_ptr<Command> make_call_command() {
  return std::make_unique<CallCommand>();
}
std::unique_ptr<Command> make_cast_command() {
  return std::make_unique<CastCommand>();
}

}  // namespace beamlink::cli
