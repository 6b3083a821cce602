// dns_server.h - DNS servers for the DNS discovery tests, on a loopback
// address and a port of the test's own:
//  * Dnsmasq: a real dnsmasq child serving A/AAAA records from a hosts file
//    (replaced and re-read on SIGHUP) and SRV records from its config file
//    (changed by restarting it on the same address and port). Names under
//    `local_zones` that it does not know are NXDOMAIN (no records of the
//    type: NODATA); any other unknown name is REFUSED (it has no upstream),
//    or, with an `upstream`, forwarded there and answered as it answers.
//  * BrokenDnsServer: a UDP socket that answers every question with
//    SERVFAIL, or never answers at all.
// dnsmasq never binds anything but the given address (--bind-interfaces),
// never port 53 unless asked, and runs as the test's user. Only the
// processes these objects started are ever signalled. Not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/child_process.h"

namespace beamlink::testing {

struct SrvHost {
  std::string service;  // the name asked, "svc.ns.svc.cluster.local"
  std::string target;
  uint16_t port = 4369;
  uint16_t priority = 10;
  uint16_t weight = 50;
};

struct DnsRecords {
  std::vector<std::pair<std::string, std::string>> hosts;  // {name, IPv4 or IPv6 address}
  std::vector<SrvHost> srv;
  // Zones answered from these records only; "#" is every name, so no
  // name a resolver's search list makes up is ever REFUSED.
  std::vector<std::string> local_zones = {"#"};
  // "address#port" of a server names outside local_zones are forwarded to
  // (dnsmasq relays its SERVFAIL); empty: none, so they are REFUSED.
  std::string upstream;
};

class Dnsmasq {
 public:
  // Starts dnsmasq on `address` and a free port (port 0) or `port`, and
  // returns once it answers. An error carries dnsmasq's own output.
  static std::expected<Dnsmasq, std::string> start(const std::string& address,
                                                   const DnsRecords& records, uint16_t port = 0);

  Dnsmasq(Dnsmasq&& other) noexcept;
  Dnsmasq& operator=(Dnsmasq&&) = delete;
  ~Dnsmasq();

  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }
  std::string endpoint() const { return address_ + ":" + std::to_string(port_); }

  // New A/AAAA records: rewrites the hosts file, sends SIGHUP and waits
  // until dnsmasq has read it.
  std::expected<void, std::string> set_hosts(
      const std::vector<std::pair<std::string, std::string>>& hosts);
  // Anything else (SRV records, zones): restarts on the same address and port.
  std::expected<void, std::string> restart(const DnsRecords& records);
  void stop();
  std::string output() const;

 private:
  Dnsmasq() = default;
  std::expected<void, std::string> launch(const DnsRecords& records);

  std::string address_;
  uint16_t port_ = 0;
  std::string dir_;  // config, hosts and pid files; removed by the destructor
  std::optional<ChildProcess> process_;
  std::string past_output_;  // of processes restarted away
};

class BrokenDnsServer {
 public:
  enum class Mode { servfail, silent };
  // Binds UDP `address`:`port` (IPv4); nullptr when it cannot.
  static std::unique_ptr<BrokenDnsServer> start(Mode mode, const std::string& address,
                                                uint16_t port);
  ~BrokenDnsServer();
  BrokenDnsServer(const BrokenDnsServer&) = delete;
  BrokenDnsServer& operator=(const BrokenDnsServer&) = delete;
  size_t questions() const { return questions_; }

 private:
  BrokenDnsServer(int fd, Mode mode);
  void serve();

  int fd_;
  Mode mode_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> questions_{0};
  std::thread thread_;
};

// Asks `name` (type 1 = A, 28 = AAAA, 33 = SRV) once over UDP and returns
// the reply's RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED), or
// nullopt without a reply within `timeout_ms`. For checking test servers.
std::optional<int> dns_rcode(const std::string& address, uint16_t port, const std::string& name,
                             uint16_t type, int timeout_ms = 500);

}  // namespace beamlink::testing
