// discovery/k8s_naming.h - the node name a Kubernetes pod gets, in
// libcluster's three modes. Pure functions of their arguments.
//
//  ip        basename@10.1.2.3 (IPv6 as written: basename@fd00::1)
//  dns       basename@10-1-2-3.<namespace>.pod.<domain>, the pod's A record
//            (IPv6: every ':' becomes '-', fd00--1.<namespace>.pod.<domain>)
//  hostname  basename@<hostname>.<service>.<namespace>.svc.<domain>, a
//            StatefulSet pod behind a headless service
//
// Every part is checked, so nothing from an API answer reaches a node name
// unchecked: the ip must be an IPv4 or IPv6 address, the hostname, service
// and namespace DNS labels (RFC 1123: a-z, 0-9, '-', at most 63 bytes), the
// domain dot-separated labels. A part a mode needs but does not have is
// Errc::invalid_argument naming it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "beamlink/result.h"

namespace beamlink::discovery::k8s {

enum class NamingMode { ip, dns, hostname };

// "ip", "dns", "hostname" <-> the mode.
std::optional<NamingMode> naming_mode(std::string_view name);
std::string_view naming_mode_name(NamingMode mode);

struct NameParts {
  std::string_view basename;  // kubernetes_node_basename
  std::string_view ip;        // the pod's address
  std::string_view hostname;  // hostname mode only
  std::string_view ns;        // dns and hostname modes
  std::string_view service;   // hostname mode only (kubernetes_service_name)
  std::string_view domain;    // dns and hostname modes ("cluster.local")
};

Result<std::string> node_name(NamingMode mode, const NameParts& parts);

// The A-record label of a pod address: 10.1.2.3 -> 10-1-2-3, fd00::1 ->
// fd00--1. Errc::invalid_argument when `ip` is no address.
Result<std::string> ip_label(std::string_view ip);

bool is_ip_address(std::string_view text);    // IPv4 or IPv6, as inet_pton reads them
bool is_dns_label(std::string_view label);    // RFC 1123 label
bool is_dns_domain(std::string_view domain);  // labels joined by '.'

}  // namespace beamlink::discovery::k8s
