// hello_node: a beamlink node whose process `hello` answers {From, Msg}
// with {hello, ThisNode, Msg}, as an Erlang process would.
//
//   hello_node NAME COOKIE        serve until SIGINT or SIGTERM
//   hello_node NAME COOKIE PEER   ask PEER's `hello` once, print the answer
//
// It registers with EPMD (`epmd -daemon`, or `beamlink epmd`) on
// ERL_EPMD_PORT (default 4369). From Erlang:
//   {hello, 'server@127.0.0.1'} ! {self(), hi}, flush().
#include <beamlink/node.h>
#include <beamlink/service.h>
#include <beamlink/term_text.h>
#include <beamlink/terms.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace beamlink;
using namespace std::chrono_literals;

static int ask(Node& node, const std::string& peer) {
  // The peer may still be starting: try for up to 10 s.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!node.ping(peer, 1s) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(200ms);
  }
  auto me = node.spawn();
  if (!me) return 1;
  me->send("hello", peer, tuple(me->pid(), atom("world")));
  auto answer = me->receive(5s);
  if (!answer) {
    std::fprintf(stderr, "hello_node: no answer from %s\n", peer.c_str());
    return 1;
  }
  std::printf("%s\n", format_term(*answer).c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: hello_node NAME COOKIE [PEER]\n");
    return 2;
  }
  // SIGINT and SIGTERM go to wait_for_stop_signal below, not to the node's threads.
  block_stop_signals();

  NodeOptions options;
  options.name = argv[1];
  options.cookie = argv[2];
  options.listen_address = "127.0.0.1";  // "0.0.0.0" to accept other hosts
  auto node = Node::start(options);
  if (!node) {
    std::fprintf(stderr, "hello_node: %s\n", node.error().to_string().c_str());
    return 1;
  }
  const std::string name = (*node)->name();
  auto hello = (*node)->spawn_handler(
      [name](Process& self, Term message) {
        const Term* from = message.element(0);
        const Term* body = message.element(1);
        if (from != nullptr && body != nullptr && from->is<Pid>()) {
          self.send(from->as<Pid>(), tuple(atom("hello"), atom(name), *body));
        }
      },
      SpawnOptions{.register_as = "hello"});
  if (!hello) return 1;
  if (argc == 4) return ask(**node, argv[3]);

  std::printf("%s is up\n", name.c_str());
  std::fflush(stdout);
  wait_for_stop_signal();
  return 0;
}
