#include "discovery/k8s_naming.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace beamlink::discovery::k8s {
namespace {

Result<void> check_label(std::string_view what, std::string_view label) {
  if (label.empty()) return fail(Errc::invalid_argument, "no " + std::string(what));
  if (!is_dns_label(label)) {
    return fail(
        Errc::invalid_argument,
        std::string(what) + " '" + std::string(label.substr(0, 80)) + "' is not a DNS label");
  }
  return {};
}

}  // namespace

std::optional<NamingMode> naming_mode(std::string_view name) {
  if (name == "ip") return NamingMode::ip;
  if (name == "dns") return NamingMode::dns;
  if (name == "hostname") return NamingMode::hostname;
  return std::nullopt;
}

std::string_view naming_mode_name(NamingMode mode) {
  switch (mode) {
    case NamingMode::ip:
      return "ip";
    case NamingMode::dns:
      return "dns";
    case NamingMode::hostname:
      break;
  }
  return "hostname";
}

bool is_ip_address(std::string_view text) {
  std::string ip(text);
  unsigned char buffer[16];
  return inet_pton(AF_INET, ip.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, ip.c_str(), buffer) == 1;
}

bool is_dns_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_dns_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_dns_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<std::string> ip_label(std::string_view ip) {
  if (!is_ip_address(ip)) {
    return fail(Errc::invalid_argument,
                "'" + std::string(ip.substr(0, 64)) + "' is not an IP address");
  }
  std::string label(ip);
  std::replace(label.begin(), label.end(), '.', '-');
  std::replace(label.begin(), label.end(), ':', '-');
  std::transform(label.begin(), label.end(), label.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return label;
}

Result<std::string> node_name(NamingMode mode, const NameParts& parts) {
  if (parts.basename.empty() || parts.basename.find('@') != std::string_view::npos) {
    return fail(Errc::invalid_argument, "the basename must be non-empty and without '@'");
  }
  std::string prefix = std::string(parts.basename) + "@";
  auto need_domain = [&]() -> Result<void> {
    if (auto ns = check_label("namespace", parts.ns); !ns) return ns;
    if (!is_dns_domain(parts.domain)) {
      return fail(
          Errc::invalid_argument,
          "cluster domain '" + std::string(parts.domain.substr(0, 80)) + "' is not a DNS name");
    }
    return {};
  };
  switch (mode) {
    case NamingMode::ip:
      if (!is_ip_address(parts.ip)) {
        return fail(Errc::invalid_argument,
                    "'" + std::string(parts.ip.substr(0, 64)) + "' is not an IP address");
      }
      return prefix + std::string(parts.ip);
    case NamingMode::dns: {
      auto label = ip_label(parts.ip);
      if (!label) return label;
      if (auto checked = need_domain(); !checked) return std::unexpected(checked.error());
      return prefix + *label + "." + std::string(parts.ns) + ".pod." + std::string(parts.domain);
    }
    case NamingMode::hostname:
      break;
  }
  if (auto host = check_label("hostname", parts.hostname); !host) {
    return std::unexpected(host.error());
  }
  if (auto service = check_label("service name", parts.service); !service) {
    return std::unexpected(service.error());
  }
  if (auto checked = need_domain(); !checked) return std::unexpected(checked.error());
  return prefix + std::string(parts.hostname) + "." + std::string(parts.service) + "." +
         std::string(parts.ns) + ".svc." + std::string(parts.domain);
}

}  // namespace beamlink::discovery::k8s
