// `epmd`: a static list of node names (libcluster's Cluster.Strategy.Epmd).
// Options: hosts (required, ["name@host", ...]), timeout (the longest wait
// between retries of a node that does not answer; default: the
// reconciler's backoff_max).
#include <asio/post.hpp>

#include "discovery/node_names.h"
#include "discovery/option_reader.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

class EpmdStrategy final : public Strategy {
 public:
  EpmdStrategy(std::vector<std::string> hosts, std::optional<std::chrono::milliseconds> timeout)
      : hosts_(std::move(hosts)), timeout_(timeout) {}

  Result<void> start(StrategyHost& host) override {
    host.log(LogLevel::debug, std::to_string(hosts_.size()) + " static host(s)");
    host.publish(hosts_);
    return {};
  }
  void stop() override {}
  std::optional<std::chrono::milliseconds> retry_max() const override { return timeout_; }

 private:
  std::vector<std::string> hosts_;
  std::optional<std::chrono::milliseconds> timeout_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> make_epmd_strategy(const TopologySpec& spec) {
  OptionReader options(spec);
  auto hosts = options.string_list("hosts");
  auto timeout = options.duration("timeout");
  if (!hosts) options.missing("hosts");
  if (hosts) {
    for (const auto& node : *hosts) {
      if (auto ok = check_node_name(node); !ok) options.invalid("hosts", ok.error().message);
    }
  }
  if (timeout && timeout->count() == 0) options.invalid("timeout", "must be > 0");
  if (auto done = options.finish(); !done) return std::unexpected(done.error());
  return std::make_unique<EpmdStrategy>(std::move(*hosts), timeout);
}

}  // namespace beamlink::discovery
