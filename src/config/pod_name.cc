#include "config/pod_name.h"

#include <arpa/inet.h>

namespace beamlink::config {
namespace {

bool is_ip(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// A DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'.
bool is_label(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() == '-' || text.back() == '-') return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool is_domain(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t dot = text.find('.', start);
    std::string_view label = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_label(label)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::optional<PodNameMode> parse_pod_name_mode(std::string_view text) {
  if (text == "ip") return PodNameMode::ip;
  if (text == "dns") return PodNameMode::dns;
  if (text == "hostname") return PodNameMode::hostname;
  return std::nullopt;
}

std::string dashed_ip(std::string_view ip) {
  std::string out(ip);
  for (char& c : out) {
    if (c == '.' || c == ':') c = '-';
  }
  return out;
}

Result<std::string> pod_host(PodNameMode mode, const PodIdentity& pod) {
  auto need = [](const char* what) {
    return fail(Errc::invalid_argument, std::string("the pod node name needs ") + what);
  };
  if (!is_domain(pod.domain)) {
    return fail(Errc::invalid_argument, "cluster domain '" + pod.domain + "' is not a DNS name");
  }
  switch (mode) {
    case PodNameMode::ip:
      if (pod.ip.empty()) return need("POD_IP (name_mode ip)");
      if (!is_ip(pod.ip))
        return fail(Errc::invalid_argument, "POD_IP '" + pod.ip + "' is not an IP address");
      return pod.ip;
    case PodNameMode::dns:
      if (pod.ip.empty() || pod.ns.empty()) return need("POD_IP and NAMESPACE (name_mode dns)");
      if (!is_ip(pod.ip))
        return fail(Errc::invalid_argument, "POD_IP '" + pod.ip + "' is not an IP address");
      if (!is_label(pod.ns))
        return fail(Errc::invalid_argument, "NAMESPACE '" + pod.ns + "' is not a DNS label");
      return dashed_ip(pod.ip) + "." + pod.ns + ".pod." + pod.domain;
    case PodNameMode::hostname:
      if (pod.hostname.empty() || pod.service.empty() || pod.ns.empty()) {
        return need("HOSTNAME, the service name and NAMESPACE (name_mode hostname)");
      }
      if (!is_label(pod.hostname) || !is_label(pod.service) || !is_label(pod.ns)) {
        return fail(Errc::invalid_argument,
                    "hostname, service and namespace must be DNS labels, got '" + pod.hostname +
                        "', '" + pod.service + "', '" + pod.ns + "'");
      }
      return pod.hostname + "." + pod.service + "." + pod.ns + ".svc." + pod.domain;
  }
  return need("a name mode");
}

}  // namespace beamlink::config
