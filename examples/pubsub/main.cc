// pubsub: a subscriber and a publisher over Phoenix.PubSub (PubSub
// `Demo.PubSub`, pool size 1), so Elixir nodes running
// `{Phoenix.PubSub, name: Demo.PubSub}` take part as well.
//
//   pubsub NAME COOKIE sub TOPIC             print each message, one line each
//   pubsub NAME COOKIE pub PEER TOPIC TEXT   broadcast <<"TEXT">> once PEER's
//                                            subscriber group is known, then exit
//
// Both register with EPMD on ERL_EPMD_PORT (default 4369). From Elixir:
//   Phoenix.PubSub.broadcast(Demo.PubSub, "news", "hi")
#include <beamlink/node.h>
#include <beamlink/pg.h>
#include <beamlink/pubsub.h>
#include <beamlink/service.h>
#include <beamlink/term_text.h>
#include <beamlink/terms.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

using namespace beamlink;
using namespace std::chrono_literals;

// True once PEER's PubSub worker is a member of our adapter group, so a
// broadcast reaches it (up to 10 s: the peer may still be starting).
static bool wait_for_peer(Node& node, PubSub& pubsub, const std::string& peer) {
  auto scope = node.pg("Elixir.Phoenix.PubSub");
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (scope && std::chrono::steady_clock::now() < give_up) {
    node.ping(peer, 1s);
    for (const Pid& member : (*scope)->get_members(atom(pubsub.groups().front()))) {
      if (member.node.name == peer) return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 3 ? argv[3] : "";
  if (!((mode == "sub" && argc == 5) || (mode == "pub" && argc == 7))) {
    std::fprintf(stderr, "usage: pubsub NAME COOKIE sub TOPIC | pub PEER TOPIC TEXT\n");
    return 2;
  }
  block_stop_signals();  // SIGINT/SIGTERM go to wait_for_stop_signal only
  NodeOptions options;
  options.name = argv[1];
  options.cookie = argv[2];
  options.listen_address = "127.0.0.1";  // "0.0.0.0" to accept other hosts
  auto node = Node::start(options);
  if (!node) {
    std::fprintf(stderr, "pubsub: %s\n", node.error().to_string().c_str());
    return 1;
  }
  auto pubsub = PubSub::start(**node, "Demo.PubSub");
  if (!pubsub) return 1;

  if (mode == "pub") {
    if (!wait_for_peer(**node, **pubsub, argv[4])) {
      std::fprintf(stderr, "pubsub: %s has no Demo.PubSub\n", argv[4]);
      return 1;
    }
    return (*pubsub)->broadcast(argv[5], binary(argv[6])) ? 0 : 1;
  }
  auto id = (*pubsub)->subscribe(argv[4], [](std::string_view topic, const Term& message) {
    std::printf("%.*s %s\n", int(topic.size()), topic.data(), format_term(message).c_str());
    std::fflush(stdout);
  });
  if (!id) return 1;
  std::printf("%s subscribed to %s\n", (*node)->name().c_str(), argv[4]);
  std::fflush(stdout);
  wait_for_stop_signal();
  (*pubsub)->stop();  // before the node, as pubsub.h asks
  return 0;
}
