#include "discovery/k8s_objects.h"

#include <nlohmann/json.hpp>

#include "discovery/k8s_naming.h"

namespace beamlink::discovery::k8s {
namespace {

using nlohmann::json;

struct Kinds {
  std::string_view api_version;
  std::string_view list;
  std::string_view object;
};

Kinds kinds_of(Resource resource) {
  switch (resource) {
    case Resource::endpoints:
      return {"v1", "EndpointsList", "Endpoints"};
    case Resource::endpoint_slices:
      return {"discovery.k8s.io/v1", "EndpointSliceList", "EndpointSlice"};
    case Resource::pods:
      break;
  }
  return {"v1", "PodList", "Pod"};
}

// Brackets nested deeper than `limit` outside strings. nlohmann's parser
// does not recurse, but a value that deep is no API answer.
bool too_deep(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

Result<json> parse_json(std::string_view text, std::string_view what) {
  if (too_deep(text, kMaxJsonDepth)) {
    return fail(Errc::malformed, std::string(what) + ": JSON nested deeper than " +
                                     std::to_string(kMaxJsonDepth) + " levels");
  }
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return fail(Errc::malformed, std::string(what) + ": not valid JSON");
  }
  if (!value.is_object()) return fail(Errc::malformed, std::string(what) + ": not a JSON object");
  return value;
}

// The member `key` of `object` when it is a string, else "".
std::string string_at(const json& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

void note(std::vector<std::string>& skipped, std::string why) {
  if (skipped.size() < kMaxSkipped) skipped.push_back(std::move(why));
}

// Checks `kind` (and apiVersion) when the object states them; list items
// carry neither, watch objects both.
Result<void> check_kind(const json& object, std::string_view kind, std::string_view api_version,
                        std::string_view where) {
  std::string got = string_at(object, "kind");
  if (!got.empty() && got != kind) {
    return fail(Errc::malformed,
                std::string(where) + ": kind " + got + ", expected " + std::string(kind));
  }
  std::string version = string_at(object, "apiVersion");
  if (!version.empty() && version != api_version) {
    return fail(Errc::malformed, std::string(where) + ": apiVersion " + version + ", expected " +
                                     std::string(api_version));
  }
  return {};
}

class ObjectReader {
 public:
  ObjectReader(Resource resource, std::vector<std::string>& skipped)
      : resource_(resource), skipped_(skipped) {}

  Result<ObjectAddresses> read(const json& object, std::string_view where) {
    if (!object.is_object()) return fail(Errc::malformed, std::string(where) + ": not an object");
    const json* metadata = member(object, "metadata");
    std::string name = metadata ? string_at(*metadata, "name") : "";
    if (name.empty()) return fail(Errc::malformed, std::string(where) + ": no metadata.name");
    ns_ = string_at(*metadata, "namespace");
    ObjectAddresses out;
    out.key = ns_ + "/" + name;
    where_ = std::string(kinds_of(resource_).object) + " " + out.key;
    Result<void> read_ok;
    switch (resource_) {
      case Resource::endpoints:
        read_ok = read_endpoints(object, out.addresses);
        break;
      case Resource::endpoint_slices:
        read_ok = read_slice(object, out.addresses);
        break;
      case Resource::pods:
        read_ok = read_pod(object, *metadata, out.addresses);
        break;
    }
    if (!read_ok) return std::unexpected(read_ok.error());
    return out;
  }

 private:
  // An address with a checked ip, or nullopt (noted in skipped_).
  // `entry` holds hostname and targetRef (an endpoint), or is null (a pod).
  std::optional<PodAddress> address(std::string ip, std::string hostname, const json& entry,
                                    bool ready) {
    if (!is_ip_address(ip)) {
      note(skipped_, where_ + ": '" + ip.substr(0, 64) + "' is not an IP address");
      return std::nullopt;
    }
    PodAddress a;
    a.ip = std::move(ip);
    a.hostname = std::move(hostname);
    const json* target = member(entry, "targetRef");
    a.ns = target ? string_at(*target, "namespace") : "";
    if (a.ns.empty()) a.ns = ns_;
    a.ready = ready;
    return a;
  }

  Result<void> read_endpoints(const json& object, std::vector<PodAddress>& out) {
    const json* subsets = member(object, "subsets");
    if (subsets == nullptr) return {};
    if (!subsets->is_array()) return fail(Errc::malformed, where_ + ": subsets is not a list");
    for (const json& subset : *subsets) {
      for (auto [field, ready] : {std::pair{"addresses", true}, {"notReadyAddresses", false}}) {
        const json* list = member(subset, field);
        if (list == nullptr) continue;
        if (!list->is_array()) {
          return fail(Errc::malformed, where_ + ": " + field + " is not a list");
        }
        for (const json& entry : *list) {
          if (auto a =
                  address(string_at(entry, "ip"), string_at(entry, "hostname"), entry, ready)) {
            out.push_back(std::move(*a));
          }
        }
      }
    }
    return {};
  }

  Result<void> read_slice(const json& object, std::vector<PodAddress>& out) {
    std::string type = string_at(object, "addressType");
    if (type != "IPv4" && type != "IPv6") {
      note(skipped_, where_ + ": addressType '" + type.substr(0, 16) + "' is not IPv4 or IPv6");
      return {};
    }
    const json* endpoints = member(object, "endpoints");
    if (endpoints == nullptr) return {};
    if (!endpoints->is_array()) return fail(Errc::malformed, where_ + ": endpoints is not a list");
    for (const json& entry : *endpoints) {
      // The addresses of one endpoint are fungible; the API says use the first.
      const json* addresses = member(entry, "addresses");
      if (addresses == nullptr || !addresses->is_array() || addresses->empty() ||
          !(*addresses)[0].is_string()) {
        note(skipped_, where_ + ": an endpoint without addresses");
        continue;
      }
      const json* conditions = member(entry, "conditions");
      const json* ready = conditions ? member(*conditions, "ready") : nullptr;
      bool is_ready = ready == nullptr || !ready->is_boolean() || ready->get<bool>();
      if (auto a = address((*addresses)[0].get<std::string>(), string_at(entry, "hostname"), entry,
                           is_ready)) {
        out.push_back(std::move(*a));
      }
    }
    return {};
  }

  Result<void> read_pod(const json& object, const json& metadata, std::vector<PodAddress>& out) {
    const json* status = member(object, "status");
    if (status == nullptr) return {};
    std::string phase = string_at(*status, "phase");
    if (phase == "Succeeded" || phase == "Failed") return {};
    std::string ip = string_at(*status, "podIP");
    if (ip.empty()) return {};  // not scheduled or not started yet
    bool ready = phase == "Running" && member(metadata, "deletionTimestamp") == nullptr;
    bool ready_condition = false;
    if (const json* conditions = member(*status, "conditions");
        conditions && conditions->is_array()) {
      for (const json& c : *conditions) {
        if (string_at(c, "type") == "Ready") ready_condition = string_at(c, "status") == "True";
      }
    }
    const json* spec = member(object, "spec");
    std::string hostname = spec ? string_at(*spec, "hostname") : "";
    if (auto a = address(std::move(ip), std::move(hostname), json(), ready && ready_condition)) {
      out.push_back(std::move(*a));
    }
    return {};
  }

  Resource resource_;
  std::vector<std::string>& skipped_;
  std::string ns_;
  std::string where_;
};

Result<WatchType> watch_type(const std::string& type) {
  if (type == "ADDED") return WatchType::added;
  if (type == "MODIFIED") return WatchType::modified;
  if (type == "DELETED") return WatchType::deleted;
  if (type == "BOOKMARK") return WatchType::bookmark;
  if (type == "ERROR") return WatchType::error;
  return fail(Errc::malformed, "watch event: unknown type '" + type.substr(0, 32) + "'");
}

Status status_of(const json& object) {
  Status s;
  if (const json* code = member(object, "code"); code && code->is_number_integer()) {
    s.code = code->get<int>();
  }
  s.reason = string_at(object, "reason");
  s.message = string_at(object, "message");
  return s;
}

}  // namespace

std::string_view resource_name(Resource resource) {
  switch (resource) {
    case Resource::endpoints:
      return "endpoints";
    case Resource::endpoint_slices:
      return "endpointslices";
    case Resource::pods:
      break;
  }
  return "pods";
}

std::string_view api_group(Resource resource) {
  return resource == Resource::endpoint_slices ? "discovery.k8s.io" : "";
}

Result<ObjectList> parse_list(Resource resource, std::string_view text) try {
  Kinds kinds = kinds_of(resource);
  std::string what(kinds.list);
  auto value = parse_json(text, what);
  if (!value) return std::unexpected(value.error());
  std::string kind = string_at(*value, "kind");
  if (kind != kinds.list) {
    return fail(Errc::malformed, what + ": the answer is " +
                                     (kind.empty() ? "of no kind" : "a " + kind.substr(0, 64)));
  }
  if (auto checked = check_kind(*value, kinds.list, kinds.api_version, what); !checked) {
    return std::unexpected(checked.error());
  }
  ObjectList list;
  const json* metadata = member(*value, "metadata");
  if (metadata) list.resource_version = string_at(*metadata, "resourceVersion");
  const json* items = member(*value, "items");
  if (items == nullptr) return list;  // the API sends null for an empty list
  if (!items->is_array()) return fail(Errc::malformed, what + ": items is not a list");
  ObjectReader reader(resource, list.skipped);
  for (size_t i = 0; i < items->size(); ++i) {
    auto object = reader.read((*items)[i], what + " item " + std::to_string(i));
    if (!object) return std::unexpected(object.error());
    list.items.push_back(std::move(*object));
  }
  return list;
} catch (const std::exception& e) {
  return fail(Errc::malformed, std::string("Kubernetes list: ") + e.what());
}

Result<WatchEvent> parse_watch_event(Resource resource, std::string_view line) try {
  auto value = parse_json(line, "watch event");
  if (!value) return std::unexpected(value.error());
  auto type = watch_type(string_at(*value, "type"));
  if (!type) return std::unexpected(type.error());
  const json* object = member(*value, "object");
  if (object == nullptr || !object->is_object()) {
    return fail(Errc::malformed, "watch event: no object");
  }
  WatchEvent event;
  event.type = *type;
  if (*type == WatchType::error) {
    event.status = status_of(*object);
    return event;
  }
  Kinds kinds = kinds_of(resource);
  if (auto checked = check_kind(*object, kinds.object, kinds.api_version, "watch event");
      !checked) {
    return std::unexpected(checked.error());
  }
  if (const json* metadata = member(*object, "metadata")) {
    event.resource_version = string_at(*metadata, "resourceVersion");
  }
  if (*type == WatchType::bookmark) return event;
  ObjectReader reader(resource, event.skipped);
  auto addresses = reader.read(*object, "watch event object");
  if (!addresses) return std::unexpected(addresses.error());
  event.object = std::move(*addresses);
  return event;
} catch (const std::exception& e) {
  return fail(Errc::malformed, std::string("watch event: ") + e.what());
}

Result<Status> parse_status(std::string_view text) try {
  auto value = parse_json(text, "Status");
  if (!value) return std::unexpected(value.error());
  if (string_at(*value, "kind") != "Status") {
    return fail(Errc::malformed, "the error answer is not a Status object");
  }
  return status_of(*value);
} catch (const std::exception& e) {
  return fail(Errc::malformed, std::string("Status: ") + e.what());
}

}  // namespace beamlink::discovery::k8s
