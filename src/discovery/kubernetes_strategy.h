// discovery/kubernetes_strategy.h - the `kubernetes` strategy's settings
// and the seams its tests use (libcluster's Cluster.Strategy.Kubernetes,
// same option names).
//
// read_kubernetes_settings checks a topology's options and fills in the
// defaults, reading the environment only through `env`
// (KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, CLUSTER_DOMAIN).
// build_kubernetes_strategy makes the strategy with the HTTP client the
// factory gives it (production: make_https_client).
//
// The strategy: lists the resource every polling_interval (run_blocking),
// turns ready addresses (or all, with include_not_ready) into node names
// in `mode`, and publishes the full set. With `watch`, it also follows the
// API's watch stream from the list's resourceVersion on a thread of its
// own (a stream lasts minutes and must not hold a worker the reconciler
// needs for connects), reconnecting from the last resourceVersion and
// listing again on 410 Gone; polling goes on as a safety net. Any failure
// keeps the last set; 401 and 403 are reported once until they change.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "beamlink/cluster.h"
#include "beamlink/result.h"
#include "discovery/http_client.h"
#include "discovery/k8s_naming.h"
#include "discovery/k8s_objects.h"
#include "discovery/strategy.h"

namespace beamlink::discovery {

inline constexpr std::string_view kServiceAccountPath =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubernetesSettings {
  std::string basename;  // kubernetes_node_basename
  std::string selector;  // kubernetes_selector
  std::string ns;        // kubernetes_namespace; "" = the service account's
  std::string service_account_path{kServiceAccountPath};
  std::string api_host;  // from kubernetes_master or the environment
  uint16_t api_port = 443;
  std::string cluster_domain = "cluster.local";
  std::string service_name;  // kubernetes_service_name
  k8s::Resource lookup = k8s::Resource::endpoints;
  k8s::NamingMode mode = k8s::NamingMode::ip;
  std::chrono::milliseconds polling_interval{5000};
  std::chrono::milliseconds timeout{15000};  // one API request
  bool watch = false;
  bool include_not_ready = false;
  bool cached_resources = false;  // kubernetes_use_cached_resources
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
using HttpClientFactory =
    std::function<Result<std::shared_ptr<HttpClient>>(const HttpsOptions& options)>;

Result<KubernetesSettings> read_kubernetes_settings(const TopologySpec& spec, const EnvLookup& env);

std::unique_ptr<Strategy> build_kubernetes_strategy(KubernetesSettings settings,
                                                    HttpClientFactory make_client);

}  // namespace beamlink::discovery
