// The table of beamlink subcommands.
#include "command.h"

namespace beamlink::cli {

std::unique_ptr<Command> make_epmd_command();
std::unique_ptr<Command> make_names_command();
std::unique_ptr<Command> make_term_command();

std::span<const CommandSpec> commands() {
  static const CommandSpec table[] = {
      {"epmd", "Run the EPMD-compatible port mapper daemon in the foreground", make_epmd_command},
      {"names", "List the node names a host's EPMD holds (like epmd -names)", make_names_command},
      {"term", "Convert terms between Erlang text syntax and External Term Format bytes",
       make_term_command},
  };
  return table;
}

}  // namespace beamlink::cli
