#include "integration/support/pod_discovery.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "integration/support/subprocess.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

// make_test_certificates names 127.0.0.1 and localhost only; the pods
// reach the API at the hub's address, so the server certificate is issued
// again from the same CA and key (which it leaves in `dir`) naming it too.
std::expected<void, std::string> reissue_certificate(const std::string& dir,
                                                     const TestCertificates& certs,
                                                     const std::string& address) {
  const std::string ext = dir + "/hub.ext";
  std::ofstream(ext) << "subjectAltName=IP:" << address
                     << ",IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                        "extendedKeyUsage=serverAuth\n";
  auto result = run_process(
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", certs.ca_file, "-CAkey",
       dir + "/ca.key", "-CAcreateserial", "-out", certs.cert_file, "-days", "2", "-extfile", ext},
      "", 20s);
  if (result.exit_code != 0) return std::unexpected("openssl x509: " + result.err + result.out);
  return {};
}

}  // namespace

std::string pod_dns_name(const std::string& ip, const std::string& ns) {
  std::string dashed = ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return dashed + "." + ns + ".pod.cluster.local";
}

std::string pod_hostname_name(const std::string& pod, const HeadlessService& service) {
  return pod + "." + service.fqdn();
}

std::expected<std::unique_ptr<PodDiscovery>, std::string> PodDiscovery::start_api(
    const NetNs& hub, const std::string& hub_address, const std::string& dir,
    HeadlessService service, std::vector<ListedPod> pods) {
  std::unique_ptr<PodDiscovery> discovery(
      new PodDiscovery(hub, std::move(service), std::move(pods)));
  if (auto served = discovery->serve_api(hub_address, dir); !served) {
    return std::unexpected(served.error());
  }
  return discovery;
}

std::expected<void, std::string> PodDiscovery::serve_api(const std::string& hub_address,
                                                         const std::string& dir) {
  auto certs = make_test_certificates(dir);
  if (!certs) return std::unexpected(certs.error());
  if (auto reissued = reissue_certificate(dir, *certs, hub_address); !reissued) return reissued;
  service_account_dir_ = dir + "/serviceaccount";
  std::error_code ec;
  std::filesystem::create_directories(service_account_dir_, ec);
  std::filesystem::copy_file(certs->ca_file, service_account_dir_ + "/ca.crt", ec);
  if (ec) return std::unexpected("service account files: " + ec.message());
  const std::string token = "pods-token";
  std::ofstream(service_account_dir_ + "/token") << token << "\n";
  std::ofstream(service_account_dir_ + "/namespace") << service_.ns << "\n";

  std::string error;
  auto ran = hub_.run([&] {
    auto api = FakeKubeApi::start(*certs, token);
    if (!api) {
      error = api.error();
      return;
    }
    api_ = std::move(*api);
    auto relay = TcpRelay::start(hub_address, kApiPort, "127.0.0.1", api_->port());
    if (relay) {
      relay_ = std::move(*relay);
    } else {
      error = relay.error();
    }
  });
  if (!ran) return ran;
  if (!error.empty()) return std::unexpected(error);
  api_->put_service({service_.ns, service_.name, {{"app", service_.app}}, {{"app", service_.app}}});
  for (const auto& pod : pods_) api_->put_pod(fake_pod(pod));
  return {};
}

FakePod PodDiscovery::fake_pod(const ListedPod& pod) const {
  FakePod fake;
  fake.ns = service_.ns;
  fake.name = pod.name;
  fake.labels = {{"app", service_.app}};
  fake.ip = pod.ip;
  if (service_.stateful) {
    fake.hostname = pod.name;
    fake.subdomain = service_.name;
  }
  return fake;
}

std::expected<std::unique_ptr<PodDiscovery>, std::string> PodDiscovery::start_dns(
    const NetNs& hub, const std::string& hub_address, HeadlessService service,
    std::vector<ListedPod> pods, bool srv) {
  std::unique_ptr<PodDiscovery> discovery(
      new PodDiscovery(hub, std::move(service), std::move(pods)));
  discovery->srv_ = srv;
  std::string error;
  auto ran = hub.run([&] {
    auto started = Dnsmasq::start(hub_address, discovery->records(), 53);
    if (started) {
      discovery->dns_.emplace(std::move(*started));
    } else {
      error = started.error();
    }
  });
  if (!ran) return std::unexpected(ran.error());
  if (!error.empty()) return std::unexpected(error);
  return discovery;
}

DnsRecords PodDiscovery::records() const {
  DnsRecords records;
  for (const auto& pod : pods_) {
    records.hosts.emplace_back(service_.fqdn(), pod.ip);
    records.hosts.emplace_back(pod_hostname_name(pod.name, service_), pod.ip);
    records.hosts.emplace_back(pod_dns_name(pod.ip, service_.ns), pod.ip);
    if (srv_) {
      SrvHost host;
      host.service = service_.fqdn();
      host.target = pod_hostname_name(pod.name, service_);
      records.srv.push_back(host);
    }
  }
  return records;
}

PodDiscovery::~PodDiscovery() = default;

std::expected<void, std::string> PodDiscovery::unlist(const std::string& pod) {
  std::erase_if(pods_, [&](const ListedPod& listed) { return listed.name == pod; });
  if (api_) {
    api_->remove_pod(service_.ns, pod);
    return {};
  }
  if (!srv_) return dns_->set_hosts(records().hosts);  // re-read on SIGHUP
  // New SRV records take a restart, which must happen in the hub.
  std::expected<void, std::string> restarted;
  auto ran = hub_.run([&] { restarted = dns_->restart(records()); });
  if (!ran) return ran;
  return restarted;
}

std::string PodDiscovery::output() const {
  return dns_ ? dns_->output() : std::string();
}

}  // namespace beamlink::testing
