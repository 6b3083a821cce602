// Strategies that poll DNS, under libcluster's names and options:
//  * `kubernetes_dns` (Cluster.Strategy.Kubernetes.DNS): A and AAAA records
//    of `service`, the headless service's name; nodes
//    application_name@<address>.
//  * `kubernetes_dnssrv` (Cluster.Strategy.Kubernetes.DNSSRV): SRV records
//    of <service>.<namespace>.svc.<cluster_domain>. (absolute); nodes
//    application_name@<target> (a StatefulSet pod's stable name).
//  * `dns_poll` (Cluster.Strategy.DNSPoll): A and AAAA records of `query`;
//    nodes node_basename@<address>.
// Common options: polling_interval (5000 ms), timeout (2000 ms per lookup),
// nameservers (default: /etc/resolv.conf), empty_polls (3); ipv4 / ipv6
// (both true) choose A / AAAA for the address strategies. `service` and
// `query` are searched like the system resolver does (resolv.conf's search
// list and ndots, as Erlang's inet_res does for libcluster), so a short
// "myapp-headless" works in a pod; a final '.' makes a name absolute.
//
// A and AAAA are separate lookups and each stands on its own: the poll
// has the addresses of every family that answered, and a family that
// failed beside one that answered is logged at debug (a short name's AAAA
// lookup fails where the search list ends, at the bare name, on a DNS
// server without an upstream, as in an air-gapped cluster). The poll fails
// only when every family asked failed.
//
// A failed lookup keeps the last set (discovery_failed) and breaks an
// empty streak. An answer with no records - NXDOMAIN (the headless service
// does not exist) or NODATA (it has no ready pods) - empties the set only
// when `empty_polls` answers in a row say so, since one empty answer during
// a rollout or a DNS restart would otherwise disconnect the whole cluster.
// Until then it is logged and the last set is kept. A set that is already
// empty (or holds only this node) is replaced at once.
#include "discovery/dns_strategies.h"

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <set>

#include "discovery/node_names.h"
#include "discovery/option_reader.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

using namespace std::chrono_literals;

struct DnsPollSettings {
  std::string name;  // what is asked (searched unless it ends in '.')
  bool srv = false;
  bool ipv4 = true;
  bool ipv6 = true;
  std::string basename;  // nodes are basename@<address or target>
  std::chrono::milliseconds interval{5000};
  int64_t empty_polls = 3;
  DnsResolverOptions resolver;
};

// What a poll found: node names, or none and whether the name exists.
struct Found {
  std::vector<std::string> nodes;
  bool name_exists = true;
};

// The A and AAAA lookups of one poll, as their answers come in (in the
// order asked, so a joined error always names A first).
struct FamilyAnswers {
  size_t pending = 0;
  std::vector<Result<AddressAnswer>> answers;
};

// The families of one poll joined, each on its own: the addresses of those
// that answered (the name exists if one of them says so), and the errors
// of those that failed beside them. Fails, naming every error, only when
// every family failed.
struct JoinedAnswer {
  Result<AddressAnswer> answer;
  std::vector<Error> failed_beside;  // failures while another family answered
};

JoinedAnswer join_families(std::vector<Result<AddressAnswer>> answers) {
  std::optional<AddressAnswer> joined;
  std::vector<Error> failures;
  for (auto& answer : answers) {
    if (!answer) {
      failures.push_back(std::move(answer.error()));
    } else if (!joined) {
      joined = std::move(*answer);
    } else {
      joined->addresses.insert(joined->addresses.end(), answer->addresses.begin(),
                               answer->addresses.end());
      joined->name_exists = joined->name_exists || answer->name_exists;
    }
  }
  if (joined) return {std::move(*joined), std::move(failures)};
  Error all = failures.empty() ? Error{Errc::io, "no address family asked"} : failures.front();
  for (size_t i = 1; i < failures.size(); ++i) all.message += "; " + failures[i].message;
  return {std::unexpected(std::move(all)), {}};
}

class DnsPollingStrategy final : public Strategy {
 public:
  DnsPollingStrategy(DnsPollSettings settings, DnsResolverFactory resolvers)
      : settings_(std::move(settings)), resolvers_(std::move(resolvers)) {
    std::string types = settings_.srv                      ? "SRV"
                        : settings_.ipv4 && settings_.ipv6 ? "A/AAAA"
                        : settings_.ipv4                   ? "A"
                                                           : "AAAA";
    std::string_view shown = settings_.name;
    if (shown.ends_with('.')) shown.remove_suffix(1);
    query_ = types + " " + std::string(shown);
  }

  Result<void> start(StrategyHost& host) override {
    host_ = &host;
    auto resolver = resolvers_(host.io(), settings_.resolver);
    if (!resolver) {
      return fail(resolver.error().code, "DNS resolver: " + resolver.error().message);
    }
    resolver_ = std::move(*resolver);
    timer_.emplace(host.io());
    poll();
    return {};
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
    resolver_.reset();  // cancels the lookup in flight: its callback never runs
  }

 private:
  void poll() {
    if (settings_.srv) {
      resolver_->resolve_srv(settings_.name, [this](Result<SrvAnswer> answer) {
        if (!answer) return on_found(std::unexpected(answer.error()));
        Found found{.nodes = {}, .name_exists = answer->name_exists};
        for (const auto& record : answer->records) found.nodes.push_back(record.target);
        on_found(std::move(found));
      });
    } else {
      std::vector<AddressFamily> families;
      if (settings_.ipv4) families.push_back(AddressFamily::ipv4);
      if (settings_.ipv6) families.push_back(AddressFamily::ipv6);
      auto poll = std::make_shared<FamilyAnswers>();
      poll->pending = families.size();
      poll->answers.resize(families.size());
      for (size_t i = 0; i < families.size(); ++i) {
        resolver_->resolve_addresses(settings_.name, families[i],
                                     [this, poll, i](Result<AddressAnswer> answer) {
                                       poll->answers[i] = std::move(answer);
                                       if (--poll->pending == 0) on_families(std::move(*poll));
                                     });
      }
    }
  }

  void on_families(FamilyAnswers poll) {
    JoinedAnswer joined = join_families(std::move(poll.answers));
    for (const Error& failed : joined.failed_beside) {
      host_->log(LogLevel::debug,
                 query_ + ": " + failed.to_string() + "; the other address family answered");
    }
    if (!joined.answer) return on_found(std::unexpected(joined.answer.error()));
    on_found(Found{.nodes = std::move(joined.answer->addresses),
                   .name_exists = joined.answer->name_exists});
  }

  // `found.nodes` holds hosts on entry.
  void on_found(Result<Found> found) {
    if (stopped_) return;
    if (!found) {
      empty_streak_ = 0;  // "in a row" means answers, uninterrupted
      host_->discovery_failed(found.error());
    } else {
      std::set<std::string> nodes;
      for (const auto& host : found->nodes) {
        std::string node = settings_.basename + "@" + host;
        if (auto valid = check_node_name(node); !valid) {
          host_->dropped(query_ + ": " + valid.error().message);
          continue;
        }
        nodes.insert(std::move(node));
      }
      if (nodes.empty()) {
        on_empty(found->name_exists);
      } else {
        empty_streak_ = 0;
        host_->log(LogLevel::debug, query_ + ": " + std::to_string(nodes.size()) + " node(s)");
        published_ = nodes.size() - nodes.count(host_->self());  // as the reconciler counts
        host_->publish({nodes.begin(), nodes.end()});
      }
    }
    timer_->expires_after(settings_.interval);
    timer_->async_wait([this](const std::error_code& ec) {
      if (ec || stopped_) return;
      poll();
    });
  }

  void on_empty(bool name_exists) {
    std::string what = query_ + ": " + (name_exists ? "no records" : "NXDOMAIN");
    ++empty_streak_;
    if (published_ == 0) {
      host_->publish({});
      return;
    }
    std::string streak =
        std::to_string(empty_streak_) + " of " + std::to_string(settings_.empty_polls);
    if (empty_streak_ < settings_.empty_polls) {
      host_->log(LogLevel::warning, what + " (" + streak +
                                        " empty answers in a row to empty the set); keeping the " +
                                        std::to_string(published_) + " known node(s)");
      return;
    }
    host_->log(LogLevel::info, what + " (" + streak + "): the set is now empty");
    published_ = 0;
    host_->publish({});
  }

  DnsPollSettings settings_;
  DnsResolverFactory resolvers_;
  std::string query_;  // "A/AAAA name", for logs
  StrategyHost* host_ = nullptr;
  std::unique_ptr<DnsResolver> resolver_;
  std::optional<asio::steady_timer> timer_;
  bool stopped_ = false;
  int64_t empty_streak_ = 0;
  size_t published_ = 0;  // other nodes in the last set published; 0 once emptied
};

// Why `name` is not a usable DNS name, or nullopt. A trailing dot is allowed.
std::optional<std::string> dns_name_problem(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) return "is longer than 253 characters";
  size_t label = 0;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return "contains whitespace or control characters";
    }
    if (c == '.') {
      if (label == 0) return "has an empty label";
      label = 0;
    } else if (++label > 63) {
      return "has a label longer than 63 characters";
    }
  }
  return std::nullopt;
}

void check_name(OptionReader& options, std::string_view key, const std::string& name) {
  if (auto problem = dns_name_problem(name)) options.invalid(key, *problem);
}

// A DNS label alone: the name a Kubernetes object has in its namespace.
void check_label(OptionReader& options, std::string_view key, const std::string& label) {
  check_name(options, key, label);
  if (label.find('.') != std::string::npos) {
    options.invalid(key, "must be a single name without dots, got \"" + label + "\"");
  }
}

std::string required_string(OptionReader& options, std::string_view key) {
  auto value = options.string(key);
  if (!value) options.missing(key);
  return value.value_or("");
}

std::string required_basename(OptionReader& options, std::string_view key) {
  std::string basename = required_string(options, key);
  if (basename.find('@') != std::string::npos || !check_node_name(basename + "@host")) {
    options.invalid(key, "must be a node name's part before '@', got \"" + basename + "\"");
  }
  return basename;
}

// The options every DNS strategy has.
void read_common(OptionReader& options, DnsPollSettings& settings) {
  settings.interval = options.duration("polling_interval").value_or(5000ms);
  if (settings.interval.count() == 0) options.invalid("polling_interval", "must be > 0");
  settings.resolver.timeout = options.duration("timeout").value_or(2000ms);
  if (settings.resolver.timeout < 10ms || settings.resolver.timeout > 60s) {
    options.invalid("timeout", "must be between 10ms and 60s");
  }
  settings.empty_polls = options.integer("empty_polls", 1, 1000).value_or(3);
  for (const auto& entry :
       options.string_list("nameservers").value_or(std::vector<std::string>{})) {
    auto server = parse_nameserver(entry);
    if (!server) {
      options.invalid("nameservers", server.error().message);
    } else {
      settings.resolver.nameservers.push_back(*server);
    }
  }
}

// The A/AAAA strategies' name to ask, basename and address families.
void read_address_query(OptionReader& options, std::string_view name_key,
                        std::string_view basename_key, DnsPollSettings& settings) {
  settings.name = required_string(options, name_key);
  check_name(options, name_key, settings.name);
  settings.basename = required_basename(options, basename_key);
  settings.ipv4 = options.boolean("ipv4").value_or(true);
  settings.ipv6 = options.boolean("ipv6").value_or(true);
  if (!settings.ipv4 && !settings.ipv6) options.invalid("ipv6", "and ipv4 cannot both be false");
}

}  // namespace

Result<std::unique_ptr<Strategy>> make_dns_strategy(DnsStrategyKind kind, const TopologySpec& spec,
                                                    DnsResolverFactory resolvers) {
  OptionReader options(spec);
  DnsPollSettings settings;
  switch (kind) {
    case DnsStrategyKind::kubernetes_dns:
      read_address_query(options, "service", "application_name", settings);
      break;
    case DnsStrategyKind::kubernetes_dnssrv: {
      std::string service = required_string(options, "service");
      check_label(options, "service", service);
      std::string ns = options.string("namespace").value_or("default");
      check_label(options, "namespace", ns);
      std::string domain = options.string("cluster_domain").value_or("cluster.local");
      check_name(options, "cluster_domain", domain);
      if (domain.ends_with('.')) domain.pop_back();
      settings.name = service + "." + ns + ".svc." + domain + ".";  // absolute, as libcluster
      settings.srv = true;
      settings.basename = required_basename(options, "application_name");
      break;
    }
    case DnsStrategyKind::dns_poll:
      read_address_query(options, "query", "node_basename", settings);
      break;
  }
  read_common(options, settings);
  if (auto done = options.finish(); !done) return std::unexpected(done.error());
  return std::make_unique<DnsPollingStrategy>(std::move(settings), std::move(resolvers));
}

Result<std::unique_ptr<Strategy>> make_kubernetes_dns_strategy(const TopologySpec& spec) {
  return make_dns_strategy(DnsStrategyKind::kubernetes_dns, spec, make_cares_resolver);
}

Result<std::unique_ptr<Strategy>> make_kubernetes_dnssrv_strategy(const TopologySpec& spec) {
  return make_dns_strategy(DnsStrategyKind::kubernetes_dnssrv, spec, make_cares_resolver);
}

Result<std::unique_ptr<Strategy>> make_dns_poll_strategy(const TopologySpec& spec) {
  return make_dns_strategy(DnsStrategyKind::dns_poll, spec, make_cares_resolver);
}

}  // namespace beamlink::discovery
