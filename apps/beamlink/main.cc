// beamlink command-line tool: parses the command line and runs the chosen
// subcommand from the table in commands.cc.
#include <iostream>
#include <vector>

#include "command.h"

int main(int argc, char** argv) {
  CLI::App app{"beamlink: Erlang distribution for C++ services", "beamlink"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "beamlink 0.1.0");

  struct Entry {
    CLI::App* sub;
    std::unique_ptr<beamlink::cli::Command> command;
  };
  std::vector<Entry> entries;
  for (const auto& spec : beamlink::cli::commands()) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
    auto command = spec.make();
    command->add_options(*sub);
    entries.push_back({sub, std::move(command)});
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& entry : entries) {
    if (entry.sub->parsed()) return entry.command->run();
  }
  return 2;
}
