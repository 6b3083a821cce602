// `beamlink ping | rpc | send`: one-shot commands that start a hidden
// helper node, talk to NODE, and exit.
#include <algorithm>
#include <iostream>

#include "beamlink/term_text.h"
#include "command.h"
#include "node_flags.h"
#include "remote_command.h"

namespace beamlink::cli {
namespace {

class PingCommand : public RemoteCommand {
 public:
  void add_options(CLI::App& app) override { add_common(app); }
  int run() override {
    auto node = start("ping");
    if (!node) return 1;
    if (auto connected = node->connect(target_); !connected) {
      std::cout << "pang\n";
      std::cerr << "beamlink ping: " << target_ << ": " << connected.error().message << "\n";
      return 1;
    }
    bool pong = node->ping(target_, timeout());
    std::cout << (pong ? "pong" : "pang") << "\n";
    return pong ? 0 : 1;
  }
};

class RpcCommand : public RemoteCommand {
 public:
  void add_options(CLI::App& app) override {
    add_common(app);
    app.add_option("module", module_, "Module")->required();
    app.add_option("function", function_, "Function")->required();
    app.add_option("args", args_, "Argument list in Erlang syntax, e.g. '[1,2]'")
        ->capture_default_str();
  }
  int run() override {
    auto args = parse_term(args_);
    if (!args || !args->is<List>() || !args->as<List>().proper()) {
      std::cerr << "beamlink rpc: the arguments must be a proper list, e.g. '[1,2]'"
                << (args ? "" : ": " + args.error().message) << "\n";
      return 2;
    }
    auto node = start("rpc");
    if (!node) return 1;
    auto result = node->rpc(target_, module_, function_, args->as<List>().elements, timeout());
    if (!result) {
      std::cerr << "beamlink rpc: " << target_ << " " << module_ << ":" << function_ << ": "
                << result.error().message << "\n";
      return 1;
    }
    std::cout << format_term(*result) << "\n";
    return 0;
  }

 private:
  std::string module_, function_, args_ = "[]";
};

class SendCommand : public RemoteCommand {
 public:
  void add_options(CLI::App& app) override {
    add_common(app);
    app.add_option("name", name_, "Registered name on NODE")->required();
    app.add_option("term", term_, "Message in Erlang syntax")->required();
  }
  int run() override {
    auto message = parse_term(term_);
    if (!message) {
      std::cerr << "beamlink send: " << message.error().message << "\n";
      return 2;
    }
    auto node = start("send");
    if (!node) return 1;
    if (auto connected = node->connect(target_); !connected) {
      std::cerr << "beamlink send: " << target_ << ": " << connected.error().message << "\n";
      return 1;
    }
    node->send(name_, target_, std::move(*message));
    // A ping after the send returns once the peer has read everything sent
    // before it on this connection, so the message is not lost at exit.
    if (!node->ping(target_, timeout())) {
      std::cerr << "beamlink send: " << target_ << " did not answer after the send\n";
      return 1;
    }
    return 0;
  }

 private:
  std::string name_, term_;
};

// `beamlink nodes NODE`: the cluster as NODE sees it. Asks NODE for
// erlang:nodes/0 (and nodes(hidden) with --hidden), so it works the same
// against beamlink and Erlang/Elixir nodes. Prints NODE first, then its
// peers, one per line, sorted.
class NodesCommand : public RemoteCommand {
 public:
  void add_options(CLI::App& app) override {
    add_common(app);
    app.add_flag("--include-hidden", include_hidden_,
                 "Also list hidden connections (other tools, like this one, are hidden)");
  }
  int run() override {
    auto node = start("nodes");
    if (!node) return 1;
    std::vector<Term> args;
    if (include_hidden_) args.push_back(Term::list({Term::atom("visible"), Term::atom("hidden")}));
    auto result = node->rpc(target_, "erlang", "nodes", args, timeout());
    if (!result) {
      std::cerr << "beamlink nodes: " << target_ << ": " << result.error().message << "\n";
      return 1;
    }
    const List* list = result->get_if<List>();
    if (list == nullptr) {
      std::cerr << "beamlink nodes: " << target_ << " answered " << format_term(*result) << "\n";
      return 1;
    }
    std::vector<std::string> names;
    for (const Term& element : list->elements) {
      const Atom* atom = element.get_if<Atom>();
      if (atom != nullptr && atom->name != node->name()) names.push_back(atom->name);
    }
    std::sort(names.begin(), names.end());
    std::cout << target_ << "\n";
    for (const auto& name : names) std::cout << name << "\n";
    return 0;
  }

 private:
  bool include_hidden_ = false;
};

}  // namespace

std::unique_ptr<Command> make_nodes_command() {
  return std::make_unique<NodesCommand>();
}

std::unique_ptr<Command> make_ping_command() {
  return std::make_unique<PingCommand>();
}
std::unique_ptr<Command> make_rpc_command() {
  return std::make_unique<RpcCommand>();
}
std::unique_ptr<Command> make_send_command() {
  return std::make_unique<SendCommand>();
}

}  // namespace beamlink::cli
