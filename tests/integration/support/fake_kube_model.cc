#include "integration/support/fake_kube_model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

namespace beamlink::testing {
namespace {

using nlohmann::json;

struct Kind {
  const char* api_version;
  const char* kind;
};

Kind kind_of(const std::string& resource) {
  if (resource == "endpoints") return {"v1", "Endpoints"};
  if (resource == "endpointslices") return {"discovery.k8s.io/v1", "EndpointSlice"};
  return {"v1", "Pod"};
}

std::string uid_of(const std::string& text) {
  size_t h = std::hash<std::string>{}(text);
  char out[40];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-8%03x-%012llx", unsigned(h & 0xffffffff),
                unsigned((h >> 32) & 0xffff), unsigned((h >> 48) & 0xfff),
                unsigned((h >> 20) & 0xfff), static_cast<unsigned long long>(h & 0xffffffffffff));
  return out;
}

json metadata(const std::string& ns, const std::string& name, const Labels& labels) {
  return json{{"name", name},
              {"namespace", ns},
              {"uid", uid_of(ns + "/" + name)},
              {"creationTimestamp", "2026-11-21T08:00:00Z"},
              {"labels", labels}};
}

bool is_v6(const std::string& ip) {
  return ip.find(':') != std::string::npos;
}

bool selected(const Labels& selector, const Labels& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return !selector.empty();
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::optional<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  size_t depth = 0;
  size_t start = 0;
  std::vector<std::string> parts;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '(') ++depth;
    if (i < text.size() && text[i] == ')' && depth > 0) --depth;
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      std::string part = trim(text.substr(start, i - start));
      if (!part.empty()) parts.push_back(part);
      start = i + 1;
    }
  }
  for (const auto& part : parts) {
    Requirement r;
    size_t paren = part.find('(');
    if (paren != std::string::npos) {
      if (part.back() != ')') return std::nullopt;
      std::string head = trim(std::string_view(part).substr(0, paren));
      size_t space = head.find(' ');
      if (space == std::string::npos) return std::nullopt;
      r.key = trim(std::string_view(head).substr(0, space));
      std::string op = trim(std::string_view(head).substr(space + 1));
      if (op == "in") {
        r.op = Requirement::Op::in;
      } else if (op == "notin") {
        r.op = Requirement::Op::not_in;
      } else {
        return std::nullopt;
      }
      std::string_view values(part);
      values = values.substr(paren + 1, values.size() - paren - 2);
      while (!values.empty()) {
        size_t comma = values.find(',');
        r.values.push_back(trim(values.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        values.remove_prefix(comma + 1);
      }
    } else if (size_t ne = part.find("!="); ne != std::string::npos) {
      r.key = trim(std::string_view(part).substr(0, ne));
      r.op = Requirement::Op::not_in;
      r.values = {trim(std::string_view(part).substr(ne + 2))};
    } else if (size_t eq = part.find('='); eq != std::string::npos) {
      size_t skip = part.compare(eq, 2, "==") == 0 ? 2 : 1;
      r.key = trim(std::string_view(part).substr(0, eq));
      r.op = Requirement::Op::in;
      r.values = {trim(std::string_view(part).substr(eq + skip))};
    } else if (part.front() == '!') {
      r.key = trim(std::string_view(part).substr(1));
      r.op = Requirement::Op::not_exists;
    } else {
      r.key = part;
    }
    if (r.key.empty()) return std::nullopt;
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool listed = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Requirement::Op::in:
        if (!listed) return false;
        break;
      case Requirement::Op::not_in:
        if (listed) return false;
        break;
      case Requirement::Op::exists:
        if (!has) return false;
        break;
      case Requirement::Op::not_exists:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::string status_json(int code, const std::string& reason, const std::string& message) {
  return json{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
              {"status", "Failure"}, {"message", message}, {"reason", reason},
              {"code", code}}
      .dump();
}

void KubeModel::store(const std::string& resource, const std::string& ns, const std::string& name,
                      const Labels& labels, std::string body) {
  auto& objects = objects_[resource];
  std::string key = ns + "/" + name;
  auto it = objects.find(key);
  if (it != objects.end() && it->second.body == body) return;
  std::string type = it == objects.end() ? "ADDED" : "MODIFIED";
  Stored& stored = objects[key];
  stored = Stored{ns, labels, std::move(body), ++version_};
  history_.push_back({version_, resource, ns, labels, type, with_version(resource, stored, false)});
}

void KubeModel::erase(const std::string& resource, const std::string& ns, const std::string& name) {
  auto& objects = objects_[resource];
  auto it = objects.find(ns + "/" + name);
  if (it == objects.end()) return;
  it->second.resource_version = ++version_;
  history_.push_back({version_, resource, ns, it->second.labels, "DELETED",
                      with_version(resource, it->second, false)});
  objects.erase(it);
}

std::string KubeModel::with_version(const std::string& resource, const Stored& stored,
                                    bool item) const {
  json object = json::parse(stored.body);
  object["metadata"]["resourceVersion"] = std::to_string(stored.resource_version);
  if (!item) {
    Kind kind = kind_of(resource);
    object["kind"] = kind.kind;
    object["apiVersion"] = kind.api_version;
  }
  return object.dump();
}

void KubeModel::put_service(const FakeService& service) {
  services_[service.ns + "/" + service.name] = service;
  refresh_services(service.ns);
}

void KubeModel::put_pod(const FakePod& pod) {
  pods_[pod.ns + "/" + pod.name] = pod;
  json spec{{"containers", json::array({json{{"name", "app"}, {"image", "beamlink:test"}}})}};
  if (!pod.hostname.empty()) spec["hostname"] = pod.hostname;
  if (!pod.subdomain.empty()) spec["subdomain"] = pod.subdomain;
  json status{{"phase", "Running"},
              {"conditions",
               json::array({json{{"type", "Ready"}, {"status", pod.ready ? "True" : "False"}}})},
              {"podIP", pod.ip},
              {"podIPs", json::array({json{{"ip", pod.ip}}})}};
  json object{
      {"metadata", metadata(pod.ns, pod.name, pod.labels)}, {"spec", spec}, {"status", status}};
  store("pods", pod.ns, pod.name, pod.labels, object.dump());
  refresh_services(pod.ns);
}

void KubeModel::remove_pod(const std::string& ns, const std::string& name) {
  pods_.erase(ns + "/" + name);
  erase("pods", ns, name);
  refresh_services(ns);
}

void KubeModel::refresh_services(const std::string& ns) {
  for (const auto& [key, service] : services_) {
    if (service.ns != ns) continue;
    json ready = json::array();
    json not_ready = json::array();
    json slice_v4 = json::array();
    json slice_v6 = json::array();
    for (const auto& [pod_key, pod] : pods_) {
      if (pod.ns != ns || !selected(service.selector, pod.labels) || pod.ip.empty()) continue;
      json target{{"kind", "Pod"}, {"namespace", ns}, {"name", pod.name}, {"uid", uid_of(pod_key)}};
      json address{{"ip", pod.ip}, {"nodeName", "fake-node"}, {"targetRef", target}};
      json endpoint{
          {"addresses", json::array({pod.ip})},
          {"conditions", {{"ready", pod.ready}, {"serving", pod.ready}, {"terminating", false}}},
          {"nodeName", "fake-node"},
          {"targetRef", target}};
      if (!pod.hostname.empty() && pod.subdomain == service.name) {
        address["hostname"] = pod.hostname;
        endpoint["hostname"] = pod.hostname;
      }
      (pod.ready ? ready : not_ready).push_back(address);
      (is_v6(pod.ip) ? slice_v6 : slice_v4).push_back(endpoint);
    }
    json ports = json::array({json{{"name", "epmd"}, {"port", 4369}, {"protocol", "TCP"}}});
    json endpoints{{"metadata", metadata(ns, service.name, service.labels)}};
    if (!ready.empty() || !not_ready.empty()) {
      json subset{{"ports", ports}};
      if (!ready.empty()) subset["addresses"] = ready;
      if (!not_ready.empty()) subset["notReadyAddresses"] = not_ready;
      endpoints["subsets"] = json::array({subset});
    }
    store("endpoints", ns, service.name, service.labels, endpoints.dump());
    Labels slice_labels = service.labels;
    slice_labels["kubernetes.io/service-name"] = service.name;
    slice_labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
    for (auto [suffix, family, list] :
         {std::tuple{"x4k2p", "IPv4", &slice_v4}, std::tuple{"q9v4d", "IPv6", &slice_v6}}) {
      std::string name = service.name + "-" + suffix;
      if (list->empty() && std::string(family) == "IPv6") {
        erase("endpointslices", ns, name);
        continue;
      }
      json meta = metadata(ns, name, slice_labels);
      meta["generateName"] = service.name + "-";
      json slice{
          {"metadata", meta},
          {"addressType", family},
          {"endpoints", *list},
          {"ports", json::array({json{{"name", "epmd"}, {"protocol", "TCP"}, {"port", 4369}}})}};
      store("endpointslices", ns, name, slice_labels, slice.dump());
    }
  }
}

std::string KubeModel::list(const std::string& resource, const std::string& ns,
                            const LabelSelector& selector) const {
  Kind kind = kind_of(resource);
  json items = json::array();
  if (auto it = objects_.find(resource); it != objects_.end()) {
    for (const auto& [key, stored] : it->second) {
      if (stored.ns == ns && selector.matches(stored.labels)) {
        items.push_back(json::parse(with_version(resource, stored, true)));
      }
    }
  }
  return json{{"kind", std::string(kind.kind) + "List"},
              {"apiVersion", kind.api_version},
              {"metadata", {{"resourceVersion", std::to_string(version_)}}},
              {"items", items}}
      .dump();
}

std::vector<WatchRecord> KubeModel::current(const std::string& resource,
                                            const std::string& ns) const {
  std::vector<WatchRecord> out;
  if (auto it = objects_.find(resource); it != objects_.end()) {
    for (const auto& [key, stored] : it->second) {
      if (stored.ns != ns) continue;
      out.push_back({stored.resource_version, resource, ns, stored.labels, "ADDED",
                     with_version(resource, stored, false)});
    }
  }
  return out;
}

}  // namespace beamlink::testing
