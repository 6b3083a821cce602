// pod_discovery.h - what the pods of a PodNetwork (pod_network.h) find each
// other through, served from the hub namespace on the hub's address:
//  * the stand-in Kubernetes API (fake_kube_api.h) with one headless
//    Service and its pods; the server listens on the hub's 127.0.0.1 and a
//    TcpRelay takes port 443 of the hub's address to it, with the server
//    certificate issued again to name that address. A service-account
//    directory (token, ca.crt, namespace) is written for the pods;
//  * dnsmasq (dns_server.h) on port 53, answering for the service's A
//    records and every pod's dns-form and hostname-form name, and, with
//    `srv`, for the service's SRV records (targets: hostname-form names).
// unlist() takes a pod out of every answer, as the control plane does when
// a pod stops being ready or is deleted.
//
// Everything in the hub is made from a thread that joined it
// (NetNs::run), so no socket is ever opened outside the test's namespaces.
// Destroy this before the PodNetwork. Not thread-safe.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/support/dns_server.h"
#include "integration/support/fake_kube_api.h"
#include "integration/support/pod_network.h"
#include "integration/support/tcp_relay.h"

namespace beamlink::testing {

struct HeadlessService {
  std::string ns;
  std::string name;
  std::string app;        // the pods' app label and the service's selector
  bool stateful = false;  // the pods have hostname and subdomain, as a StatefulSet's
  // "<name>.<ns>.svc.cluster.local"
  std::string fqdn() const { return name + "." + ns + ".svc.cluster.local"; }
};

struct ListedPod {
  std::string name;  // also its hostname
  std::string ip;
};

// "198-18-0-10.<ns>.pod.cluster.local"
std::string pod_dns_name(const std::string& ip, const std::string& ns);
// "<pod>.<service fqdn>"
std::string pod_hostname_name(const std::string& pod, const HeadlessService& service);

class PodDiscovery {
 public:
  static constexpr uint16_t kApiPort = 443;

  // The API in `hub`, reached at hub_address:443; files in `dir`.
  static std::expected<std::unique_ptr<PodDiscovery>, std::string> start_api(
      const NetNs& hub, const std::string& hub_address, const std::string& dir,
      HeadlessService service, std::vector<ListedPod> pods);
  // dnsmasq in `hub` on hub_address:53.
  static std::expected<std::unique_ptr<PodDiscovery>, std::string> start_dns(
      const NetNs& hub, const std::string& hub_address, HeadlessService service,
      std::vector<ListedPod> pods, bool srv);
  PodDiscovery(const PodDiscovery&) = delete;
  PodDiscovery& operator=(const PodDiscovery&) = delete;
  ~PodDiscovery();

  std::expected<void, std::string> unlist(const std::string& pod);
  // The API's service-account directory ("" for DNS).
  const std::string& service_account_dir() const { return service_account_dir_; }
  // dnsmasq's output, for failure messages ("" for the API).
  std::string output() const;

 private:
  PodDiscovery(const NetNs& hub, HeadlessService service, std::vector<ListedPod> pods)
      : hub_(hub), service_(std::move(service)), pods_(std::move(pods)) {}
  std::expected<void, std::string> serve_api(const std::string& hub_address,
                                             const std::string& dir);
  FakePod fake_pod(const ListedPod& pod) const;
  DnsRecords records() const;

  const NetNs& hub_;
  HeadlessService service_;
  std::vector<ListedPod> pods_;  // the listed ones
  bool srv_ = false;
  std::string service_account_dir_;
  std::unique_ptr<FakeKubeApi> api_;
  std::unique_ptr<TcpRelay> relay_;
  std::optional<Dnsmasq> dns_;
};

}  // namespace beamlink::testing
