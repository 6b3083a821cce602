// `beamlink global names NODE` and `beamlink global whereis NODE NAME`:
// Erlang's global registry as NODE sees it. Both ask NODE over rpc
// (global:registered_names/0, global:whereis_name/1), so they work the
// same against beamlink, Erlang and Elixir nodes.
#include <algorithm>
#include <iostream>

#include "beamlink/term_text.h"
#include "remote_command.h"

namespace beamlink::cli {
namespace {

class GlobalCommand : public RemoteCommand {
 public:
  void add_options(CLI::App& app) override {
    app.require_subcommand(1);
    names_ = app.add_subcommand("names", "List NODE's global names, one per line, sorted");
    add_common(*names_);
    whereis_ = app.add_subcommand("whereis", "Print the pid NAME has in NODE's global registry");
    add_common(*whereis_);
    whereis_->add_option("name", name_, "The name, in Erlang syntax (an atom: my_name)")
        ->required();
  }

  int run() override { return names_->parsed() ? names() : whereis(); }

 private:
  int names() {
    auto node = start("global");
    if (!node) return 1;
    auto result = node->rpc(target_, "global", "registered_names", {}, timeout());
    if (!result) {
      std::cerr << "beamlink global names: " << target_ << ": " << result.error().message << "\n";
      return 1;
    }
    const List* list = result->get_if<List>();
    if (list == nullptr) {
      std::cerr << "beamlink global names: " << target_ << " answered " << format_term(*result)
                << "\n";
      return 1;
    }
    std::vector<std::string> names;
    for (const Term& name : list->elements) names.push_back(format_term(name));
    std::sort(names.begin(), names.end());
    for (const auto& name : names) std::cout << name << "\n";
    return 0;
  }

  int whereis() {
    auto name = parse_term(name_);
    if (!name) {
      std::cerr << "beamlink global whereis: " << name.error().message << "\n";
      return 2;
    }
    auto node = start("global");
    if (!node) return 1;
    auto result = node->rpc(target_, "global", "whereis_name", {*name}, timeout());
    if (!result) {
      std::cerr << "beamlink global whereis: " << target_ << ": " << result.error().message << "\n";
      return 1;
    }
    std::cout << format_term(*result) << "\n";
    return result->is<Pid>() ? 0 : 1;
  }

  CLI::App* names_ = nullptr;
  CLI::App* whereis_ = nullptr;
  std::string name_;
};

}  // namespace

std::unique_ptr<Command> make_global_command() {
  return std::make_unique<GlobalCommand>();
}

}  // namespace beamlink::cli
