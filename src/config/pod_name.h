// config/pod_name.h - node names built from a pod's environment, in the
// three forms Kubernetes discovery produces, so that the name a node gives
// itself is the name its peers discover:
//
//   ip        base@10.1.2.3                          (env.sh.eex: app@$POD_IP)
//   dns       base@10-1-2-3.<ns>.pod.<domain>        (the pod's A record)
//   hostname  base@<hostname>.<service>.<ns>.svc.<domain>
//                                                    (StatefulSet pods behind
//                                                     a headless service)
// IPv6 addresses: ip form as written (base@fd00::1); dns form with ':'
// turned into '-' (fd00--1), as Kubernetes names IPv6 pod records.
// Pure: the inputs are passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "beamlink/result.h"

namespace beamlink::config {

enum class PodNameMode { ip, dns, hostname };

std::optional<PodNameMode> parse_pod_name_mode(std::string_view text);

struct PodIdentity {
  std::string ip;        // POD_IP
  std::string hostname;  // HOSTNAME (the pod name; a StatefulSet's is stable)
  std::string ns;        // NAMESPACE / POD_NAMESPACE
  std::string service;   // the headless service (hostname mode)
  std::string domain = "cluster.local";
};

// The host part for `mode`; Errc::invalid_argument naming what is missing
// (e.g. "name_mode dns needs POD_IP and NAMESPACE").
Result<std::string> pod_host(PodNameMode mode, const PodIdentity& pod);

// "10.1.2.3" -> "10-1-2-3", "fd00::1" -> "fd00--1".
std::string dashed_ip(std::string_view ip);

}  // namespace beamlink::config
