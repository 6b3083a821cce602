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

#include "beamlink/service.h"
#include "beamlink/term_text.h"
#include "beamlink/terms.h"

namespace beamlink::cli {
namespace {

std::atomic<uint64_t> served{0};

std::optional<int64_t> small_integer(const Term& term) {
  if (const auto* i = term.get_if<int64_t>()) return *i;
  return std::nullopt;
}

Result<void> setup_worker(Service& service) {
  Node& node = service.node();
  node.register_function("worker", "square", [](const std::vector<Term>& args) -> CallResult {
    auto n = args.size() == 1 ? small_integer(args[0]) : std::nullopt;
    if (!n || *n > 3'037'000'499 || *n < -3'037'000'499) {
      return CallResult::error(tuple(atom("badarg"), Term::list(args)));
    }
    served++;
    return Term(*n * *n);
  });
  node.register_function("worker", "info", [&node](const std::vector<Term>&) -> CallResult {
    std::vector<Term> peers;
    for (const auto& peer : node.nodes(NodeKind::visible)) peers.push_back(atom(peer));
    return map({{atom("node"), atom(node.name())},
                {atom("peers"), Term::list(std::move(peers))},
                {atom("served"), served.load()}});
  });
  SpawnOptions jobs;
  jobs.register_as = "jobs";
  auto pid = node.spawn_handler(
      [&node](Process& self, Term message) {
        // {From, Ref, {square, N}} -> From ! {Ref, {ok, N*N, node()}}
        const Tuple* t = message.get_if<Tuple>();
        if (t == nullptr || t->elements.size() != 3 || !t->elements[0].is<Pid>()) return;
        const Tuple* job = t->elements[2].get_if<Tuple>();
        Term answer = tuple(atom("error"), atom("badjob"));
        if (job != nullptr && job->elements.size() == 2 && job->elements[0] == atom("square")) {
          if (auto n = small_integer(job->elements[1]);
              n && *n < 3'037'000'499 && *n > -3'037'000'499) {
            served++;
            answer = tuple(atom("ok"), *n * *n, atom(node.name()));
          }
        }
        self.send(t->elements[0].as<Pid>(), tuple(t->elements[1], std::move(answer)));
      },
      jobs);
  if (!pid) return fail(pid.error().code, "cannot start jobs: " + pid.error().message);
  return {};
}

int run(int argc, char** argv) {
  CLI::App app{"beamlink-worker: an example service that joins a beamlink cluster"};
  ServiceOptions options;
  if (const char* env = std::getenv("BEAMLINK_CONFIG")) options.config_path = env;
  app.add_option("--config", options.config_path, "TOML config (else BEAMLINK_CONFIG)");
  CLI11_PARSE(app, argc, argv);

  options.area = "worker";
  options.setup = setup_worker;
  if (auto plan = Service::check(options); !plan) {
    std::cerr << "beamlink-worker: " << plan.error().message << "\n";
    return 2;
  }
  auto service = Service::start(std::move(options));  // blocks SIGINT/SIGTERM first
  if (!service) {
    std::cerr << "beamlink-worker: " << service.error().message << "\n";
    return service.error().code == Errc::invalid_argument ? 2 : 1;
  }
  const Logger& log = (*service)->logger();
  std::string signal = (*service)->wait_for_stop_signal();
  log(LogLevel::info, "worker", "stopping on " + signal + "; leaving the cluster");
  (*service)->stop();
  log(LogLevel::info, "worker",
      "stopped after serving " + std::to_string(served.load()) + " job(s)");
  return 0;
}

}  // namespace
}  // namespace beamlink::cli

int main(int argc, char** argv) {
  return beamlink::cli::run(argc, argv);
}
