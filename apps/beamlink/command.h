// command.h - one beamlink subcommand.
//
// Every subcommand is a Command created from the explicit table in
// commands.cc (no static-initializer registration). main() creates the
// CLI11 subcommand, lets the Command declare its options on it, parses, and
// calls run() on the one the user chose. run() returns the process exit
// code: 0 success, 1 runtime failure, 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <span>

namespace beamlink::cli {

class Command {
 public:
  virtual ~Command() = default;
  virtual void add_options(CLI::App& app) = 0;
  virtual int run() = 0;
};

struct CommandSpec {
  const char* name;
  const char* summary;
  std::unique_ptr<Command> (*make)();
};

// The registration table, in the order --help lists the commands.
std::span<const CommandSpec> commands();

}  // namespace beamlink::cli
