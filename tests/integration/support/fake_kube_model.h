// fake_kube_model.h - the objects of the stand-in Kubernetes API server
// (fake_kube_api.h): pods and services as a test declares them, and the
// Endpoints, EndpointSlices and Pods the real API would serve for them,
// with resource versions and a watch history. Pure and single-threaded.
//
// Like the real control plane, a Service's Endpoints and EndpointSlice
// carry the Service's labels and list the pods its selector matches
// (ready pods under `addresses` / conditions.ready true); a pod's hostname
// appears on them only when its spec.subdomain is the service's name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beamlink::testing {

using Labels = std::map<std::string, std::string>;

struct FakePod {
  std::string ns = "default";
  std::string name;
  Labels labels;
  std::string ip;
  std::string hostname;   // spec.hostname
  std::string subdomain;  // spec.subdomain
  bool ready = true;
};

struct FakeService {
  std::string ns = "default";
  std::string name;
  Labels labels;    // copied onto its Endpoints and EndpointSlices
  Labels selector;  // the pods it serves
};

// A parsed label selector: "a=b,c!=d,e in (x,y),f notin (z),g,!h".
class LabelSelector {
 public:
  static std::optional<LabelSelector> parse(std::string_view text);
  bool matches(const Labels& labels) const;

 private:
  struct Requirement {
    std::string key;
    enum class Op { in, not_in, exists, not_exists } op = Op::exists;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

// The resources served: "endpoints", "endpointslices", "pods".
struct WatchRecord {
  uint64_t resource_version = 0;
  std::string resource;
  std::string ns;
  Labels labels;
  std::string type;    // ADDED, MODIFIED, DELETED
  std::string object;  // JSON with kind and apiVersion
};

class KubeModel {
 public:
  void put_service(const FakeService& service);
  void put_pod(const FakePod& pod);
  void remove_pod(const std::string& ns, const std::string& name);
  // Forgets the history: a watch from an older version gets 410 Expired.
  void compact() { compacted_below_ = version_ + 1; }

  uint64_t version() const { return version_; }
  uint64_t compacted_below() const { return compacted_below_; }
  // The list JSON (EndpointsList, ...) of `resource` in `ns` matching `selector`.
  std::string list(const std::string& resource, const std::string& ns,
                   const LabelSelector& selector) const;
  // The current objects as ADDED records (a watch from version 0).
  std::vector<WatchRecord> current(const std::string& resource, const std::string& ns) const;
  const std::vector<WatchRecord>& history() const { return history_; }

 private:
  struct Stored {
    std::string ns;
    Labels labels;
    std::string body;  // JSON without metadata.resourceVersion
    uint64_t resource_version = 0;
  };
  // Stores `body` as resource/ns/name; records an event when it changed.
  void store(const std::string& resource, const std::string& ns, const std::string& name,
             const Labels& labels, std::string body);
  void erase(const std::string& resource, const std::string& ns, const std::string& name);
  void refresh_services(const std::string& ns);
  std::string with_version(const std::string& resource, const Stored& stored, bool item) const;

  std::map<std::string, FakePod> pods_;  // ns/name
  std::map<std::string, FakeService> services_;
  std::map<std::string, std::map<std::string, Stored>> objects_;  // resource -> ns/name
  std::vector<WatchRecord> history_;
  uint64_t version_ = 1000;
  uint64_t compacted_below_ = 0;
};

// A Status object as the API sends it ("Forbidden", 403, ...).
std::string status_json(int code, const std::string& reason, const std::string& message);

}  // namespace beamlink::testing
