// The table of beamlink subcommands.
#include "command.h"

namespace beamlink::cli {

std::unique_ptr<Command> make_call_command();
std::unique_ptr<Command> make_cast_command();
std::unique_ptr<Command> make_epmd_command();
std::unique_ptr<Command> make_global_command();
std::unique_ptr<Command> make_names_command();
std::unique_ptr<Command> make_term_command();
std::unique_ptr<Command> make_node_command();
std::unique_ptr<Command> make_nodes_command();
std::unique_ptr<Command> make_pg_command();
std::unique_ptr<Command> make_ping_command();
std::unique_ptr<Command> make_rpc_command();
std::unique_ptr<Command> make_send_command();

std::span<const CommandSpec> commands() {
  static const CommandSpec table[] = {
      {"call", "gen_server:call a process registered on a node; prints the reply",
       make_call_command},
      {"cast", "gen_server:cast a request to a process registered on a node", make_cast_command},
      {"epmd", "Run the EPMD-compatible port mapper daemon in the foreground", make_epmd_command},
      {"global", "Erlang's global registry as a node sees it: names, whereis", make_global_command},
      {"names", "List the node names a host's EPMD holds (like epmd -names)", make_names_command},
      {"node", "Run a node in the foreground (logs nodeup/nodedown, serves `echo`)",
       make_node_command},
      {"nodes", "List the cluster as a node sees it (NODE, then its nodes())", make_nodes_command},
      {"pg", "List a node's pg groups or one group's members (`pg groups`, `pg members`)",
       make_pg_command},
      {"ping", "Ping a node, like net_adm:ping/1: prints pong or pang", make_ping_command},
      {"rpc", "Call MOD:FUN(ARGS...) on a node and print the result", make_rpc_command},
      {"send", "Send a term to a registered process on a node", make_send_command},
      {"term", "Convert terms between Erlang text syntax and External Term Format bytes",
       make_term_command},
  };
  return table;
}

}  // namespace beamlink::cli
