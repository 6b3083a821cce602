// beamlink command-line tool: subcommands are registered in commands.cc.
int main() { return 0; }
