// Strategies that ask EPMD daemons for the names they know:
//  * `local_epmd` (libcluster's Cluster.Strategy.LocalEpmd): every node
//    registered with this host's EPMD, named name@<this node's host>.
//    Options: polling_interval (5000 ms), epmd_host ("127.0.0.1").
//  * `erlang_hosts` (libcluster's Cluster.Strategy.ErlangHosts): hosts from
//    .hosts.erlang (working directory, then home, as net_adm reads it, or
//    `hosts_file`), names from each host's EPMD. Options: timeout (retry
//    cap, as libcluster), polling_interval (5000 ms), hosts_file.
// A host whose EPMD does not answer keeps its last names (a discovery
// error, logged and counted); the others are still updated.
#include <asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "beamlink/epmd.h"
#include "discovery/hosts_file.h"
#include "discovery/node_names.h"
#include "discovery/option_reader.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

constexpr std::chrono::milliseconds kDefaultPolling{5000};

// What one poll learned: per host, the names or the error.
struct PollResult {
  std::map<std::string, Result<std::vector<std::string>>> hosts;
  std::optional<Error> hosts_error;  // erlang_hosts: the file could not be read
};

// Polls a list of hosts' EPMDs every `interval`, keeping each host's last
// good answer. `hosts_source` runs on a worker thread.
class EpmdPollingStrategy : public Strategy {
 public:
  using HostsSource = std::function<Result<std::vector<std::string>>()>;

  // `names_on_self_host`: the EPMD is this machine's, so its names are
  // name@<this node's host> whatever address the EPMD was asked on.
  EpmdPollingStrategy(std::chrono::milliseconds interval, HostsSource hosts_source,
                      bool names_on_self_host)
      : interval_(interval),
        hosts_source_(std::move(hosts_source)),
        names_on_self_host_(names_on_self_host) {}

  Result<void> start(StrategyHost& host) override {
    host_ = &host;
    timer_.emplace(host.io());
    poll();
    return {};
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
  }

 private:
  void poll() {
    auto result = std::make_shared<PollResult>();
    uint16_t port = host_->epmd_port();
    std::string self_host = names_on_self_host_ ? std::string(host_part(host_->self())) : "";
    host_->run_blocking(
        [result, port, self_host, source = hosts_source_] {
          auto hosts = source();
          if (!hosts) {
            result->hosts_error = hosts.error();
            return;
          }
          for (const auto& h : *hosts) {
            epmd::ClientOptions client;
            client.host = h;
            client.port = port;
            client.timeout = std::chrono::milliseconds(2000);
            auto names = epmd::names(client);
            if (!names) {
              result->hosts.emplace(h, std::unexpected(names.error()));
              continue;
            }
            std::vector<std::string> nodes;
            const std::string& at = self_host.empty() ? h : self_host;
            for (const auto& entry : *names) nodes.push_back(entry.name + "@" + at);
            result->hosts.emplace(h, std::move(nodes));
          }
        },
        [this, result] { on_poll(*result); });
  }

  void on_poll(const PollResult& result) {
    if (stopped_) return;
    if (result.hosts_error) {
      host_->discovery_failed(*result.hosts_error);
    } else {
      std::map<std::string, std::vector<std::string>> next;
      for (const auto& [h, names] : result.hosts) {
        if (names) {
          next[h] = *names;
        } else {
          host_->discovery_failed(
              Error{names.error().code, "EPMD on " + h + ": " + names.error().message});
          auto last = known_.find(h);
          if (last != known_.end()) next[h] = last->second;
        }
      }
      known_ = std::move(next);
      std::vector<std::string> nodes;
      for (const auto& [h, names] : known_) nodes.insert(nodes.end(), names.begin(), names.end());
      host_->publish(std::move(nodes));
    }
    timer_->expires_after(interval_);
    timer_->async_wait([this](const std::error_code& ec) {
      if (!ec && !stopped_) poll();
    });
  }

  std::chrono::milliseconds interval_;
  HostsSource hosts_source_;
  bool names_on_self_host_;
  StrategyHost* host_ = nullptr;
  std::optional<asio::steady_timer> timer_;
  bool stopped_ = false;
  std::map<std::string, std::vector<std::string>> known_;
};

class ErlangHostsStrategy final : public EpmdPollingStrategy {
 public:
  ErlangHostsStrategy(std::chrono::milliseconds interval, HostsSource source,
                      std::optional<std::chrono::milliseconds> timeout)
      : EpmdPollingStrategy(interval, std::move(source), false), timeout_(timeout) {}
  std::optional<std::chrono::milliseconds> retry_max() const override { return timeout_; }

 private:
  std::optional<std::chrono::milliseconds> timeout_;
};

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

Result<std::unique_ptr<Strategy>> make_local_epmd_strategy(const TopologySpec& spec) {
  OptionReader options(spec);
  auto interval = options.duration("polling_interval").value_or(kDefaultPolling);
  auto epmd_host = options.string("epmd_host").value_or("127.0.0.1");
  if (interval.count() == 0) options.invalid("polling_interval", "must be > 0");
  if (auto done = options.finish(); !done) return std::unexpected(done.error());
  return std::make_unique<EpmdPollingStrategy>(
      interval,
      [epmd_host]() -> Result<std::vector<std::string>> {
        return std::vector<std::string>{epmd_host};
      },
      /*names_on_self_host=*/true);
}

Result<std::unique_ptr<Strategy>> make_erlang_hosts_strategy(const TopologySpec& spec) {
  OptionReader options(spec);
  auto interval = options.duration("polling_interval").value_or(kDefaultPolling);
  auto timeout = options.duration("timeout");
  auto file = options.string("hosts_file");
  if (interval.count() == 0) options.invalid("polling_interval", "must be > 0");
  if (timeout && timeout->count() == 0) options.invalid("timeout", "must be > 0");
  if (auto done = options.finish(); !done) return std::unexpected(done.error());
  auto source = [file]() -> Result<std::vector<std::string>> {
    std::string path;
    if (file) {
      path = *file;
    } else {
      std::error_code ec;
      auto cwd = std::filesystem::current_path(ec);
      auto found = find_hosts_file(ec ? std::string() : cwd.string(), env_or_empty("HOME"));
      if (!found) {
        return fail(Errc::not_found,
                    "no .hosts.erlang in the working directory or the home directory");
      }
      path = *found;
    }
    return read_hosts_file(path);
  };
  return std::make_unique<ErlangHostsStrategy>(interval, std::move(source), timeout);
}

}  // namespace beamlink::discovery
