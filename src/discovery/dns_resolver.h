// discovery/dns_resolver.h - the narrow door through which DNS strategies
// ask DNS: address (A/AAAA) and SRV lookups of one name, answered once.
//
// Contract for implementations:
//  * A resolver belongs to one io_context and is used only on its thread.
//    Every callback runs there, exactly once per call, never from inside
//    the resolve_* call itself.
//  * A lookup is bounded by the resolver's timeout: it answers (with
//    Errc::timeout at the latest) within about that time.
//  * Names are searched as the system resolver does (resolv.conf's search
//    list and ndots, also with explicit nameservers); a name ending in '.'
//    is absolute and asked as is.
//  * An answer that says the name does not exist (NXDOMAIN) or has no
//    records of the type (NODATA) is a success with no records;
//    `name_exists` tells the two apart. Everything else that is not an
//    answer (timeout, SERVFAIL, REFUSED, no server reachable, a malformed
//    reply) is an Error naming the query and the resolver's status.
//  * Destroying the resolver cancels its lookups: their callbacks never run.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::discovery {

// A records (ipv4) or AAAA records (ipv6).
enum class AddressFamily { ipv4, ipv6 };

struct AddressAnswer {
  std::vector<std::string> addresses;  // textual, as inet_ntop writes them
  bool name_exists = true;             // false: NXDOMAIN
};

struct SrvRecord {
  std::string target;  // without the trailing dot
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
};

struct SrvAnswer {
  std::vector<SrvRecord> records;
  bool name_exists = true;  // false: NXDOMAIN
};

class DnsResolver {
 public:
  using AddressCallback = std::function<void(Result<AddressAnswer>)>;
  using SrvCallback = std::function<void(Result<SrvAnswer>)>;

  virtual ~DnsResolver() = default;

  // The A or AAAA records of `name`. One family per lookup, so a caller
  // that wants both asks both and each answer stands on its own: a short
  // name's AAAA lookup may fail at the bare name where the search list
  // ends (REFUSED by a server without an upstream) while its A lookup was
  // answered under the first search domain.
  virtual void resolve_addresses(const std::string& name, AddressFamily family,
                                 AddressCallback done) = 0;
  virtual void resolve_srv(const std::string& name, SrvCallback done) = 0;
};

struct Nameserver {
  std::string address;  // an IPv4 or IPv6 literal
  uint16_t port = 53;
  bool ipv6 = false;
};

struct DnsResolverOptions {
  std::vector<Nameserver> nameservers;      // empty: the system's (/etc/resolv.conf)
  std::chrono::milliseconds timeout{2000};  // per lookup, every retry included
};

// One nameserver as configured: "1.2.3.4", "1.2.3.4:5353", "fd00::1" or
// "[fd00::1]:5353" (port 53 when none is given). Names are refused: the
// resolver needs addresses.
Result<Nameserver> parse_nameserver(std::string_view entry);

// The c-ares resolver (cares_resolver.cc), driven by `io`'s reactor.
Result<std::unique_ptr<DnsResolver>> make_cares_resolver(asio::io_context& io,
                                                         const DnsResolverOptions& options);

}  // namespace beamlink::discovery
