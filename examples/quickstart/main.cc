#include <beamlink/service.h>
#include <beamlink/terms.h>

#include <cstdio>

using namespace beamlink;

int main(int argc, char** argv) {
  ServiceOptions options;  // config file, then BEAMLINK_* env
  options.config_path = argc > 1 ? argv[1] : "";
  options.setup = [](Service& service) -> Result<void> {  // before the node is ready
    Term me = atom(service.node().name());
    service.node().register_function("hello", "who", [me](const std::vector<Term>&) {
      return CallResult(me);  // rpc:call(Node, hello, who, [])
    });
    return {};
  };
  auto service = Service::start(std::move(options));  // node, EPMD, topologies, health
  if (!service) {
    std::fprintf(stderr, "%s\n", service.error().to_string().c_str());  // which key, which layer
    return 1;
  }
  (*service)->run_until_stop_signal();  // SIGTERM: leave the cluster cleanly
}
