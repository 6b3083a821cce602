// worker: workers that take jobs. Each worker process joins the pg group
// `jobs` (default scope `pg`); a job goes to one member, which answers.
// (This is what exists today: the shared-work issue, with queues and
// acknowledgements, has not landed. A job sent to a worker that dies is lost.)
//
//   worker NAME COOKIE serve           run one worker until SIGINT or SIGTERM
//   worker NAME COOKIE submit PEER N   send job N to a worker of PEER's
//                                      group; print its answer and exit
// Job protocol: {job, From, Ref, N} -> From ! {done, Ref, Result, WorkerNode}
// where Result is N*(N+1)/2 for 0 <= N <= 1000000, else {error, badarg}.
// From Erlang (erl -kernel start_pg true, connected to the worker node):
//   [W | _] = pg:get_members(jobs), W ! {job, self(), make_ref(), 10}, flush().
#include <beamlink/node.h>
#include <beamlink/pg.h>
#include <beamlink/service.h>
#include <beamlink/term_text.h>
#include <beamlink/terms.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>  // atoll
#include <string>
#include <thread>

using namespace beamlink;
using namespace std::chrono_literals;

static void do_job(Process& self, const Term& job) {
  const auto* t = job.get_if<Tuple>();  // {job, From, Ref, N}, else dropped
  if (!t || t->elements.size() != 4 || !t->elements[0].is_atom("job") ||
      !t->elements[1].is<Pid>()) {
    return;
  }
  const Term* n = &t->elements[3];
  Term result = tuple(atom("error"), atom("badarg"));
  if (n->is<int64_t>() && n->as<int64_t>() >= 0 && n->as<int64_t>() <= 1000000) {
    result = n->as<int64_t>() * (n->as<int64_t>() + 1) / 2;
  }
  self.send(t->elements[1].as<Pid>(),
            tuple(atom("done"), t->elements[2], result, atom(self.pid().node.name.view())));
}

static int submit(Node& node, const std::string& peer, int64_t n) {
  auto me = node.spawn();
  // The peer may still be starting, and pg learns of its members just after
  // the connection: up to 100 looks, 100 ms apart.
  for (int look = 0; me && look < 100; ++look) {
    node.ping(peer, 1s);
    for (const Pid& worker : node.pg().get_members(atom("jobs"))) {
      if (worker.node.name != peer) continue;
      me->send(worker, tuple(atom("job"), me->pid(), node.make_ref(), n));
      auto answer = me->receive(5s);
      if (answer) std::printf("%s\n", format_term(*answer).c_str());
      return answer ? 0 : 1;
    }
    std::this_thread::sleep_for(100ms);
  }
  std::fprintf(stderr, "worker: no worker of %s found\n", peer.c_str());
  return 1;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 3 ? argv[3] : "";
  if (!((mode == "serve" && argc == 4) || (mode == "submit" && argc == 6))) {
    std::fprintf(stderr, "usage: worker NAME COOKIE serve | submit PEER N\n");
    return 2;
  }
  block_stop_signals();  // SIGINT/SIGTERM go to wait_for_stop_signal only
  NodeOptions options;
  options.name = argv[1];
  options.cookie = argv[2];
  options.listen_address = "127.0.0.1";  // "0.0.0.0" to accept other hosts
  auto node = Node::start(options);
  if (!node) {
    std::fprintf(stderr, "worker: %s\n", node.error().to_string().c_str());
    return 1;
  }
  if (mode == "submit") return submit(**node, argv[4], std::atoll(argv[5]));
  auto worker = (*node)->spawn_handler([](Process& self, Term job) { do_job(self, job); });
  if (!worker || !(*node)->pg().join(atom("jobs"), *worker)) return 1;
  std::printf("%s is up\n", (*node)->name().c_str());
  std::fflush(stdout);
  wait_for_stop_signal();
  return 0;
}
