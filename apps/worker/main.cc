// beamlink-worker: a small example service built on beamlink, the one the
// container image runs. Each replica is a node that joins its cluster
// (topologies from --config / BEAMLINK_CONFIG, node name from the pod's
// environment) and offers work that any node, C++ or Elixir, can call:
//
//   :rpc.call(node, :worker, :square, [7])      -> 49
//   :rpc.call(node, :worker, :info, [])         -> %{node: ..., peers: [...], served: N}
//   send({:jobs, node}, {self(), ref, {:square, 7}})
//                                               -> receives {ref, {:ok, 49, node}}
//
// SIGTERM (what Kubernetes sends) makes it leave the cluster cleanly: not
// ready first, then topologies and connections closed, then exit 0.
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <iostream>

#include "beamlink/term_text.h"
#include "log_line.h"
#include "node_service.h"
#include "stop_signal.h"

namespace beamlink::cli {
namespace {

std::atomic<uint64_t> served{0};

std::optional<int64_t> small_integer(const Term& term) {
  if (const auto* i = term.get_if<int64_t>()) return *i;
  return std::nullopt;
}

Result<void> setup_worker(Node& node) {
  node.register_function("worker", "square", [](const std::vector<Term>& args) -> CallResult {
    auto n = args.size() == 1 ? small_integer(args[0]) : std::nullopt;
    if (!n || *n > 3'037'000'499 || *n < -3'037'000'499) {
      return CallResult::error(Term::tuple({Term::atom("badarg"), Term::list(args)}));
    }
    served++;
    return Term(*n * *n);
  });
  node.register_function("worker", "info", [&node](const std::vector<Term>&) -> CallResult {
    std::vector<Term> peers;
    for (const auto& peer : node.nodes(NodeKind::visible)) peers.push_back(Term::atom(peer));
    return Term::map({{Term::atom("node"), Term::atom(node.name())},
                      {Term::atom("peers"), Term::list(std::move(peers))},
                      {Term::atom("served"), Term(static_cast<int64_t>(served.load()))}});
  });
  SpawnOptions jobs;
  jobs.register_as = "jobs";
  auto pid = node.spawn_handler(
      [&node](Process& self, Term message) {
        // {From, Ref, {square, N}} -> From ! {Ref, {ok, N*N, node()}}
        const Tuple* t = message.get_if<Tuple>();
        if (t == nullptr || t->elements.size() != 3 || !t->elements[0].is<Pid>()) return;
        const Tuple* job = t->elements[2].get_if<Tuple>();
        Term answer = Term::tuple({Term::atom("error"), Term::atom("badjob")});
        if (job != nullptr && job->elements.size() == 2 &&
            job->elements[0] == Term::atom("square")) {
          if (auto n = small_integer(job->elements[1]);
              n && *n < 3'037'000'499 && *n > -3'037'000'499) {
            served++;
            answer = Term::tuple({Term::atom("ok"), Term(*n * *n), Term::atom(node.name())});
          }
        }
        self.send(t->elements[0].as<Pid>(), Term::tuple({t->elements[1], std::move(answer)}));
      },
      jobs);
  if (!pid) return fail(pid.error().code, "cannot start jobs: " + pid.error().message);
  return {};
}

int run(int argc, char** argv) {
  CLI::App app{"beamlink-worker: an example service that joins a beamlink cluster"};
  std::string config_path;
  if (const char* env = std::getenv("BEAMLINK_CONFIG")) config_path = env;
  app.add_option("--config", config_path, "TOML config (else BEAMLINK_CONFIG)");
  CLI11_PARSE(app, argc, argv);

  auto config = load_node_config(config_path);
  if (!config) {
    std::cerr << "beamlink-worker: " << config.error().message << "\n";
    return 2;
  }
  block_stop_signals();
  auto service = NodeService::start(std::move(*config), setup_worker, "worker");
  if (!service) {
    std::cerr << "beamlink-worker: " << service.error().message << "\n";
    return service.error().code == Errc::invalid_argument ? 2 : 1;
  }
  auto signal = wait_for_stop_signal();
  log_line("info", "worker", "stopping on " + signal.value_or("request") + "; leaving the cluster");
  (*service)->stop();
  log_line("info", "worker", "stopped after serving " + std::to_string(served.load()) + " job(s)");
  return 0;
}

}  // namespace
}  // namespace beamlink::cli

int main(int argc, char** argv) {
  return beamlink::cli::run(argc, argv);
}
