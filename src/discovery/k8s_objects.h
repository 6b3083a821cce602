// discovery/k8s_objects.h - Kubernetes API answers, reduced to the pod
// addresses the kubernetes strategy needs. Pure: JSON text in, values or
// errors out, no sockets.
//
// Understood: EndpointsList (v1), EndpointSliceList (discovery.k8s.io/v1),
// PodList (v1), one line of a watch stream ({"type": ..., "object": ...})
// and a Status object (error answers).
//
// Contract:
//  * The input is untrusted. Anything that is not the expected shape (not
//    JSON, nesting deeper than kMaxJsonDepth, a list of another kind, items
//    that are not objects) is Errc::malformed naming the place. Limits on
//    the input size are the caller's (the HTTP client bounds the body).
//  * One unusable address (an "ip" that is not an IPv4 or IPv6 address, an
//    FQDN EndpointSlice) does not spoil the answer: it is left out and
//    described in `skipped` (at most kMaxSkipped descriptions).
//  * Readiness: Endpoints `addresses` are ready, `notReadyAddresses` not;
//    an EndpointSlice endpoint is ready unless conditions.ready is false (the
//    API documents a missing value as "unknown, treat as ready"); a Pod is
//    ready when its phase is Running, its Ready condition is "True" and it is
//    not being deleted. Pods that have finished (Succeeded, Failed) and pods
//    without an IP yet are left out.
//  * Never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::discovery::k8s {

enum class Resource { endpoints, endpoint_slices, pods };

// "endpoints", "endpointslices", "pods": the path segment and RBAC resource.
std::string_view resource_name(Resource resource);
// "" (the core group) or "discovery.k8s.io".
std::string_view api_group(Resource resource);

inline constexpr size_t kMaxJsonDepth = 64;
inline constexpr size_t kMaxSkipped = 8;

// One address an object names.
struct PodAddress {
  std::string ip;        // a valid IPv4 or IPv6 address, as the API wrote it
  std::string hostname;  // the endpoint's hostname / the pod's spec.hostname; "" if none
  std::string ns;        // targetRef.namespace / metadata.namespace; "" if unknown
  bool ready = false;

  bool operator==(const PodAddress&) const = default;
};

// One API object (an Endpoints, an EndpointSlice or a Pod).
struct ObjectAddresses {
  std::string key;  // "namespace/name"
  std::vector<PodAddress> addresses;
};

struct ObjectList {
  std::string resource_version;  // the list's; a watch starts from it
  std::vector<ObjectAddresses> items;
  std::vector<std::string> skipped;
};

// The API's error object (kind Status).
struct Status {
  int code = 0;
  std::string reason;  // "Forbidden", "Expired", ...
  std::string message;
};

enum class WatchType { added, modified, deleted, bookmark, error };

struct WatchEvent {
  WatchType type = WatchType::bookmark;
  std::string resource_version;  // the object's (bookmarks carry only this)
  ObjectAddresses object;        // added, modified, deleted
  Status status;                 // error
  std::vector<std::string> skipped;
};

Result<ObjectList> parse_list(Resource resource, std::string_view json);
Result<WatchEvent> parse_watch_event(Resource resource, std::string_view line);
// Errc::malformed when `json` is not a Status object.
Result<Status> parse_status(std::string_view json);

}  // namespace beamlink::discovery::k8s
