// discovery/k8s_api.h - the two calls the kubernetes strategy makes to the
// API server: list a resource by label selector, and watch it from a
// resource version. Built on the HttpClient door; blocking, for a worker
// thread or the strategy's watch thread. Thread-safe: every member is
// const or internally locked.
//
// Failures carry the HTTP status when there was one. 401 and 403 say what
// is missing, with the RBAC rule for 403 ("the service account needs
// get/list/watch on endpointslices.discovery.k8s.io in namespace prod
// (Role + RoleBinding)"), since a bare "Forbidden" in a pod's log is a
// puzzle to whoever reads it.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "beamlink/result.h"
#include "discovery/http_client.h"
#include "discovery/k8s_objects.h"
#include "discovery/k8s_service_account.h"

namespace beamlink::discovery::k8s {

struct ApiFailure {
  Error error;
  int http_status = 0;  // 0: no HTTP answer (connect, TLS, timeout, bad body)
};

template <class T>
using ApiResult = std::expected<T, ApiFailure>;

struct ApiConfig {
  Resource resource = Resource::endpoints;
  std::string ns;
  std::string selector;      // a label selector, as kubectl -l takes it
  bool cached_list = false;  // resourceVersion=0: any API server cache may answer
  std::string token_path;    // <service account>/token
  std::string server;        // "host:port", for messages
};

class KubernetesApi {
 public:
  KubernetesApi(std::shared_ptr<HttpClient> client, ApiConfig config);

  ApiResult<ObjectList> list() const;

  // Follows the watch stream from `resource_version` until the server ends
  // it (after `timeout` at the latest), `on_event` returns false, a line is
  // malformed or cancel(). A normal end is success.
  ApiResult<void> watch(const std::string& resource_version, std::chrono::seconds timeout,
                        const std::function<bool(WatchEvent)>& on_event) const;

  void cancel() const { client_->cancel(); }

  // "/api/v1/namespaces/<ns>/endpoints?labelSelector=app%3Dmyapp"
  std::string list_target() const;
  std::string watch_target(const std::string& resource_version, std::chrono::seconds timeout) const;
  // What a 401 / 403 / other non-2xx answer means, for the log.
  ApiFailure failure_of(const HttpResponse& response) const;

 private:
  Result<HttpHeaders> headers() const;

  std::shared_ptr<HttpClient> client_;
  ApiConfig config_;
  std::string collection_;  // the path without the query
  mutable TokenFile token_;
};

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encode(std::string_view text);

}  // namespace beamlink::discovery::k8s
