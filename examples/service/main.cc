// service: a clustered C++ service in one Service::start call. It serves
//  * rpc      demo:add(A, B) -> A + B (integers; else error:badarg)
//  * a gen_server registered as `counter`: {add, N} -> the new total,
//    get -> the total (back to 0 past int64).
//
//   service [CONFIG.toml]
//
// Configuration: the file, then the environment (BEAMLINK_NODE,
// BEAMLINK_COOKIE, BEAMLINK_HEALTH_PORT, ERL_EPMD_PORT, ...; README's
// Configuration section). SIGINT or SIGTERM leaves the cluster cleanly.
// Its own EPMD and a node name:
//   beamlink epmd --address 127.0.0.1 --port 4370 &
//   ERL_EPMD_PORT=4370 BEAMLINK_NODE=svc@127.0.0.1 BEAMLINK_COOKIE=demo service
// From Erlang (ERL_EPMD_PORT=4370 erl -name x@127.0.0.1 -setcookie demo):
//   rpc:call('svc@127.0.0.1', demo, add, [1, 2]).           %% 3
//   erpc:call('svc@127.0.0.1', demo, add, [1, x]).          %% error:badarg
//   gen_server:call({counter, 'svc@127.0.0.1'}, {add, 5}).  %% 5
#include <beamlink/service.h>
#include <beamlink/terms.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

using namespace beamlink;

class Counter : public GenServer {
 public:
  Reply handle_call(const Term& request, const From&) override {
    const Term* n = request.element(1);
    if (request.element(0) != nullptr && request.element(0)->is_atom("add") && n != nullptr &&
        n->is<int64_t>()) {
      if (__builtin_add_overflow(total_, n->as<int64_t>(), &total_)) total_ = 0;
      return Term(total_);
    }
    if (request.is_atom("get")) return Term(total_);
    return tuple(atom("error"), atom("unknown_request"));
  }
  Term state() const override { return total_; }

 private:
  int64_t total_ = 0;
};

static CallResult add(const std::vector<Term>& args) {
  if (args.size() != 2 || !args[0].is<int64_t>() || !args[1].is<int64_t>()) {
    return CallResult::error(atom("badarg"));
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(args[0].as<int64_t>(), args[1].as<int64_t>(), &sum)) {
    return CallResult::error(atom("overflow"));
  }
  return Term(sum);
}

int main(int argc, char** argv) {
  ServiceOptions options;
  if (argc > 1) options.config_path = argv[1];
  options.area = "service";
  // Runs before the node is announced as ready: register what peers call.
  options.setup = [](Service& service) -> Result<void> {
    service.node().register_function("demo", "add", add);
    auto counter = service.node().start_server(std::make_shared<Counter>(),
                                               ServerOptions{.register_as = "counter"});
    if (!counter) return std::unexpected(counter.error());
    return {};
  };
  auto service = Service::start(std::move(options));
  if (!service) {
    std::fprintf(stderr, "service: %s\n", service.error().to_string().c_str());
    return 1;
  }
  std::printf("%s is up\n", (*service)->node().name().c_str());
  std::fflush(stdout);
  (*service)->run_until_stop_signal();
  return 0;
}
