// `beamlink pg groups NODE [SCOPE]` and `beamlink pg members NODE [SCOPE]
// GROUP`: a hidden helper node asks NODE by rpc for pg:which_groups/1 or
// pg:get_members/2, so they work the same against beamlink, Erlang and
// Elixir nodes. SCOPE defaults to `pg`; GROUP is in Erlang syntax (an atom
// is just its name). Prints one group or one pid per line, sorted.
#include <algorithm>
#include <iostream>

#include "beamlink/term_text.h"
#include "command.h"
#include "node_flags.h"

namespace beamlink::cli {
namespace {

class PgCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.require_subcommand(1, 1);
    groups_ = app.add_subcommand("groups", "List the groups of a pg scope on NODE");
    groups_->add_option("args", groups_args_, "NODE [SCOPE]")->required()->expected(1, 2);
    members_ = app.add_subcommand("members", "List the members of a group of a pg scope on NODE");
    members_->add_option("args", members_args_, "NODE [SCOPE] GROUP")->required()->expected(2, 3);
    for (CLI::App* sub : {groups_, members_}) {
      flags_.add_to(*sub, /*require_name=*/false);
      sub->add_option("--timeout", timeout_s_, "Give up after this many seconds")
          ->capture_default_str();
    }
  }

  int run() override {
    bool members = members_->parsed();
    std::vector<std::string>& args = members ? members_args_ : groups_args_;
    std::string target = args.front();
    std::string scope = args.size() == (members ? 3u : 2u) ? args[1] : "pg";
    std::vector<Term> call_args{Term::atom(scope)};
    if (members) {
      auto group = parse_term(args.back());
      if (!group) {
        std::cerr << "beamlink pg: GROUP must be an Erlang term: " << group.error().message << "\n";
        return 2;
      }
      call_args.push_back(std::move(*group));
    }
    auto options = flags_.options("pg", target);
    if (!options) {
      std::cerr << "beamlink pg: " << options.error().message << "\n";
      return 2;
    }
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s_ * 1000));
    options->setup_time = timeout;
    auto node = start_node("pg", std::move(*options));
    if (!node) return 1;
    auto result =
        node->rpc(target, "pg", members ? "get_members" : "which_groups", call_args, timeout);
    if (!result) {
      std::cerr << "beamlink pg: " << target << ": " << result.error().message << "\n";
      return 1;
    }
    const List* list = result->get_if<List>();
    if (list == nullptr) {
      std::cerr << "beamlink pg: " << target << " answered " << format_term(*result) << "\n";
      return 1;
    }
    std::vector<std::string> lines;
    for (const Term& item : list->elements) lines.push_back(format_term(item));
    std::sort(lines.begin(), lines.end());
    for (const std::string& line : lines) std::cout << line << "\n";
    return 0;
  }

 private:
  CLI::App* groups_ = nullptr;
  CLI::App* members_ = nullptr;
  std::vector<std::string> groups_args_, members_args_;
  NodeFlags flags_;
  double timeout_s_ = 10;
};

}  // namespace

std::unique_ptr<Command> make_pg_command() {
  return std::make_unique<PgCommand>();
}

}  // namespace beamlink::cli
