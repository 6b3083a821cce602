// dist_bench: the beamlink side of bench/compare_dist.sh. It plays the same
// roles as bench/dist_bench.erl, so beamlink and erl clients and servers
// can be paired in any combination.
//
//   dist_bench serve  --name N --cookie C
//   dist_bench client --name N --cookie C SERVER WORKLOAD COUNT SIZE
//
// serve registers bench_rx (counts {msg, N} / {bin, B}; answers
// {done, From, Ref} with {Ref, Count, Bytes}) and bench_echo (answers
// {ping, From, N} with {pong, N}), prints "ready" and runs until killed.
// client prints "workload=<w> value=<v> unit=<u> [p99=<v>]" like the erl
// client (small and binary first reset the server's counts with a done of
// their own; a shortfall says how many arrived). Connection losses and
// nodedowns are logged on stderr. Both bind 127.0.0.1 only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/node.h"

namespace {

using namespace beamlink;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode, name, cookie, server, workload;
  long count = 0, size = 0;
};

bool parse(int argc, char** argv, Args& a) {
  if (argc < 2) return false;
  a.mode = argv[1];
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--name" || arg == "--cookie") && i + 1 < argc) {
      (arg == "--name" ? a.name : a.cookie) = argv[++i];
    } else {
      positional.push_back(arg);
    }
  }
  if (a.name.empty() || a.cookie.empty()) return false;
  if (a.mode == "serve") return positional.empty();
  if (a.mode != "client" || positional.size() != 4) return false;
  a.server = positional[0];
  a.workload = positional[1];
  a.count = std::stol(positional[2]);
  a.size = std::stol(positional[3]);
  return true;
}

std::unique_ptr<Node> start(const Args& a) {
  NodeOptions options;
  options.name = a.name;
  options.cookie = a.cookie;
  options.listen_address = "127.0.0.1";
  // Connection losses are what a benchmark must not hide: warnings and the
  // distribution layer's "connection ... down" lines go to stderr.
  options.logger = [](LogLevel level, std::string_view, std::string_view message) {
    if (level != LogLevel::debug) {
      std::fprintf(stderr, "%s\n", std::string(message).c_str());
    }
  };
  auto node = Node::start(options);
  if (!node) {
    std::fprintf(stderr, "cannot start %s: %s\n", a.name.c_str(), node.error().to_string().c_str());
    return nullptr;
  }
  (*node)->subscribe_node_events([](const NodeEvent& e) {
    if (e.kind == NodeEvent::Kind::down) {
      std::fprintf(stderr, "nodedown %s: %s (%s)\n", e.node.c_str(), e.reason.c_str(),
                   e.detail.c_str());
    }
  });
  return std::move(*node);
}

// A receive loop on its own thread, as an Erlang process would run.
std::thread serve_loop(Process process, std::function<void(Process&, Term)> on_message) {
  return std::thread([process = std::move(process), on_message]() mutable {
    while (process.alive()) {
      auto message = process.receive(std::chrono::seconds(1));
      if (message) on_message(process, std::move(*message));
    }
  });
}

int serve(const Args& a) {
  auto node = start(a);
  if (!node) return 1;
  auto rx = node->spawn({.trap_exit = false, .register_as = "bench_rx"});
  auto echo = node->spawn({.trap_exit = false, .register_as = "bench_echo"});
  if (!rx || !echo) return 1;
  int64_t count = 0, bytes = 0;
  std::thread rx_thread = serve_loop(std::move(*rx), [&](Process& self, Term m) {
    const Tuple& t = m.as<Tuple>();
    if (t.elements[0].is_atom("msg")) {
      ++count;
    } else if (t.elements[0].is_atom("bin")) {
      ++count;
      bytes += static_cast<int64_t>(t.elements[1].as<Binary>().bytes.size());
    } else if (t.elements[0].is_atom("done")) {
      self.send(t.elements[1].as<Pid>(), Term::tuple({t.elements[2], Term(count), Term(bytes)}));
      count = bytes = 0;
    }
  });
  std::thread echo_thread = serve_loop(std::move(*echo), [](Process& self, Term m) {
    const Tuple& t = m.as<Tuple>();
    self.send(t.elements[1].as<Pid>(), Term::tuple({Term::atom("pong"), t.elements[2]}));
  });
  std::printf("ready\n");
  std::fflush(stdout);
  rx_thread.join();  // runs until the process is killed
  echo_thread.join();
  return 0;
}

std::optional<Term> finish(Node& node, Process& self, const std::string& server) {
  Reference ref = node.make_ref();
  self.send("bench_rx", server, Term::tuple({Term::atom("done"), Term(self.pid()), Term(ref)}));
  Term ref_term(ref);
  return self.receive_if(
      [&](const Term& m) { return m.is<Tuple>() && m.as<Tuple>().elements[0] == ref_term; },
      std::chrono::seconds(120));
}

int client(const Args& a) {
  auto node = start(a);
  if (!node) return 1;
  if (!node->ping(a.server)) {
    std::fprintf(stderr, "%s does not answer\n", a.server.c_str());
    return 1;
  }
  auto self = node->spawn();
  if (!self) return 1;
  // Resets the server's counts, which a failed earlier run may have left.
  if (a.workload != "pingpong" && !finish(*node, *self, a.server)) {
    std::fprintf(stderr, "%s: no reply to done from %s\n", a.workload.c_str(), a.server.c_str());
    return 1;
  }
  if (a.workload == "small") {
    auto t0 = Clock::now();
    for (long i = a.count; i > 0; --i) {
      self->send("bench_rx", a.server,
                 Term::tuple({Term::atom("msg"), Term(static_cast<int64_t>(i))}));
    }
    const double send_secs = std::chrono::duration<double>(Clock::now() - t0).count();
    auto reply = finish(*node, *self, a.server);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!reply) {
      std::fprintf(stderr, "small: no reply to done from %s (the sends returned in %.2f s)\n",
                   a.server.c_str(), send_secs);
      return 1;
    }
    const int64_t received = reply->as<Tuple>().elements[1].as<int64_t>();
    if (received != a.count) {
      std::fprintf(stderr, "small: lost messages: %s received %lld of %ld\n", a.server.c_str(),
                   static_cast<long long>(received), a.count);
      return 1;
    }
    std::printf("workload=small value=%.0f unit=msg/s\n", static_cast<double>(a.count) / secs);
  } else if (a.workload == "pingpong") {
    std::vector<double> times;
    for (long i = -100; i < a.count; ++i) {  // 100 warm-up round trips
      auto t0 = Clock::now();
      self->send("bench_echo", a.server,
                 Term::tuple({Term::atom("ping"), Term(self->pid()), Term(i)}));
      auto reply = self->receive(std::chrono::seconds(10));
      if (!reply) {
        std::fprintf(stderr, "pingpong: no reply\n");
        return 1;
      }
      if (i >= 0)
        times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("workload=pingpong value=%.1f unit=us p99=%.1f\n", times[times.size() / 2],
                times[std::min(times.size() - 1, times.size() * 99 / 100)]);
  } else if (a.workload == "binary") {
    Term bin = Term::binary(std::string(static_cast<size_t>(a.size), '\x07'));
    auto t0 = Clock::now();
    for (long i = 0; i < a.count; ++i)
      self->send("bench_rx", a.server, Term::tuple({Term::atom("bin"), bin}));
    auto reply = finish(*node, *self, a.server);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!reply) {
      std::fprintf(stderr, "binary: no reply\n");
      return 1;
    }
    std::printf("workload=binary value=%.0f unit=B/s\n",
                static_cast<double>(reply->as<Tuple>().elements[2].as<int64_t>()) / secs);
  } else {
    std::fprintf(stderr, "unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(
        stderr,
        "usage: dist_bench serve --name N --cookie C\n"
        "       dist_bench client --name N --cookie C SERVER small|pingpong|binary COUNT SIZE\n");
    return 2;
  }
  return args.mode == "serve" ? serve(args) : client(args);
}
