// The `kubernetes` strategy's options: libcluster's names and defaults,
// checked, with the environment read only through the given lookup.
#include <charconv>
#include <cstdlib>

#include "discovery/kubernetes_strategy.h"
#include "discovery/option_reader.h"
#include "discovery/strategies.h"

namespace beamlink::discovery {
namespace {

constexpr std::string_view kDefaultMaster = "kubernetes.default.svc";

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

// "host", "host:port", "[v6]:port", "https://host:port/" -> host and port.
std::optional<std::pair<std::string, uint16_t>> split_master(std::string_view master) {
  if (master.starts_with("https://")) master.remove_prefix(8);
  while (master.ends_with("/")) master.remove_suffix(1);
  uint16_t port = 443;
  std::string_view host = master;
  if (master.starts_with("[")) {
    size_t close = master.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = master.substr(1, close - 1);
    std::string_view rest = master.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":")) return std::nullopt;
      auto p = parse_port(rest.substr(1));
      if (!p) return std::nullopt;
      port = *p;
    }
  } else if (size_t colon = master.find(':'); colon != std::string_view::npos) {
    if (master.find(':', colon + 1) != std::string_view::npos) {
      host = master;  // a bare IPv6 address
    } else {
      host = master.substr(0, colon);
      auto p = parse_port(master.substr(colon + 1));
      if (!p) return std::nullopt;
      port = *p;
    }
  }
  if (host.empty()) return std::nullopt;
  return std::pair{std::string(host), port};
}

// libcluster's rule: a master name gets the cluster domain appended unless
// it already ends with it or with '.' (a final name). IP addresses are kept.
std::string qualify(std::string host, const std::string& domain) {
  if (k8s::is_ip_address(host)) return host;
  if (host.ends_with(".")) {
    host.pop_back();
    return host;
  }
  if (host == domain || host.ends_with("." + domain)) return host;
  return host + "." + domain;
}

}  // namespace

Result<KubernetesSettings> read_kubernetes_settings(const TopologySpec& spec,
                                                    const EnvLookup& env) {
  OptionReader options(spec);
  KubernetesSettings s;
  auto basename = options.string("kubernetes_node_basename");
  auto selector = options.string("kubernetes_selector");
  s.ns = options.string("kubernetes_namespace").value_or("");
  s.service_account_path =
      options.string("kubernetes_service_account_path").value_or(s.service_account_path);
  auto master = options.string("kubernetes_master");
  auto cluster_name = options.string("kubernetes_cluster_name").value_or("cluster");
  auto domain = options.string("cluster_domain");
  s.service_name = options.string("kubernetes_service_name").value_or("");
  auto lookup = options.string("kubernetes_ip_lookup_mode").value_or("endpoints");
  auto mode = options.string("mode").value_or("ip");
  s.polling_interval = options.duration("polling_interval").value_or(s.polling_interval);
  s.timeout = options.duration("timeout").value_or(s.timeout);
  s.watch = options.boolean("watch").value_or(false);
  s.include_not_ready = options.boolean("include_not_ready").value_or(false);
  s.cached_resources = options.boolean("kubernetes_use_cached_resources").value_or(false);

  if (!basename) {
    options.missing("kubernetes_node_basename");
  } else if (basename->empty() || basename->find('@') != std::string::npos) {
    options.invalid("kubernetes_node_basename", "must be a node name's part before '@'");
  }
  if (!selector) {
    options.missing("kubernetes_selector");
  } else if (selector->empty()) {
    options.invalid("kubernetes_selector", "must not be empty (it would select every object)");
  }
  if (!s.ns.empty() && !k8s::is_dns_label(s.ns)) {
    options.invalid("kubernetes_namespace", "'" + s.ns + "' is not a namespace name");
  }
  if (lookup == "endpoints") {
    s.lookup = k8s::Resource::endpoints;
  } else if (lookup == "endpointslices") {
    s.lookup = k8s::Resource::endpoint_slices;
  } else if (lookup == "pods") {
    s.lookup = k8s::Resource::pods;
  } else {
    options.invalid("kubernetes_ip_lookup_mode",
                    "must be endpoints, endpointslices or pods, got '" + lookup + "'");
  }
  if (auto m = k8s::naming_mode(mode)) {
    s.mode = *m;
  } else {
    options.invalid("mode", "must be ip, dns or hostname, got '" + mode + "'");
  }
  if (s.mode == k8s::NamingMode::hostname && s.service_name.empty()) {
    options.invalid("kubernetes_service_name", "is required with mode = \"hostname\"");
  }
  if (!s.service_name.empty() && !k8s::is_dns_label(s.service_name)) {
    options.invalid("kubernetes_service_name", "'" + s.service_name + "' is not a service name");
  }
  if (s.polling_interval.count() == 0) options.invalid("polling_interval", "must be > 0");
  if (s.timeout.count() == 0) options.invalid("timeout", "must be > 0");

  // The cluster domain: the option, CLUSTER_DOMAIN, then <cluster_name>.local.
  std::string domain_source = "cluster_domain";
  if (!domain) {
    domain = env("CLUSTER_DOMAIN");
    domain_source = "the environment's CLUSTER_DOMAIN";
  }
  if (!domain || domain->empty()) {
    domain = cluster_name + ".local";
    domain_source = "kubernetes_cluster_name";
  }
  if (domain->ends_with(".")) domain->pop_back();
  s.cluster_domain = *domain;
  if (!k8s::is_dns_domain(s.cluster_domain)) {
    options.invalid(
        domain_source == "cluster_domain" ? "cluster_domain" : "kubernetes_cluster_name",
        "gives the cluster domain '" + s.cluster_domain + "' (from " + domain_source +
            "), which is not a DNS name");
  }

  // The API server: kubernetes_master, else the service environment every
  // pod gets (as client-go's in-cluster config), else libcluster's default.
  auto env_host = env("KUBERNETES_SERVICE_HOST");
  if (master) {
    auto split = split_master(*master);
    if (!split) {
      options.invalid("kubernetes_master", "must be host or host:port, got '" + *master + "'");
    } else {
      s.api_host = qualify(split->first, s.cluster_domain);
      s.api_port = split->second;
    }
  } else if (env_host && !env_host->empty()) {
    s.api_host = *env_host;
    auto env_port = env("KUBERNETES_SERVICE_PORT");
    if (env_port && !env_port->empty()) {
      auto port = parse_port(*env_port);
      if (!port) {
        options.invalid("kubernetes_master",
                        "is not set and KUBERNETES_SERVICE_PORT '" + *env_port + "' is not a port");
      } else {
        s.api_port = *port;
      }
    }
  } else {
    s.api_host = qualify(std::string(kDefaultMaster), s.cluster_domain);
  }
  if (auto done = options.finish(); !done) return std::unexpected(done.error());
  s.basename = *basename;
  s.selector = *selector;
  return s;
}

Result<std::unique_ptr<Strategy>> make_kubernetes_strategy(const TopologySpec& spec) {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  auto settings = read_kubernetes_settings(spec, env);
  if (!settings) return std::unexpected(settings.error());
  return build_kubernetes_strategy(std::move(*settings), make_https_client);
}

}  // namespace beamlink::discovery
