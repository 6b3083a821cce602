#include "discovery/dns_resolver.h"

#include <arpa/inet.h>

#include "config/value_parsers.h"

namespace beamlink::discovery {
namespace {

bool is_address(int family, const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(family, text.c_str(), buffer) == 1;
}

}  // namespace

Result<Nameserver> parse_nameserver(std::string_view entry) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_argument, "\"" + std::string(entry) + "\" " + std::string(why));
  };
  Nameserver server;
  std::optional<std::string_view> port_text;
  if (entry.starts_with('[')) {  // [v6]:port
    size_t close = entry.find(']');
    if (close == std::string_view::npos) return bad("has no closing ']'");
    server.address = std::string(entry.substr(1, close - 1));
    server.ipv6 = true;
    std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("must be [address]:port");
      port_text = rest.substr(1);
    }
  } else if (entry.find(':') != entry.rfind(':')) {  // two colons or more: a bare v6 address
    server.address = std::string(entry);
    server.ipv6 = true;
  } else {
    size_t colon = entry.find(':');
    server.address = std::string(entry.substr(0, colon));
    if (colon != std::string_view::npos) port_text = entry.substr(colon + 1);
  }
  if (!is_address(server.ipv6 ? AF_INET6 : AF_INET, server.address)) {
    return bad(server.ipv6 ? "is not an IPv6 address"
                           : "is not an IP address (a nameserver cannot be a name)");
  }
  if (port_text) {
    auto port = config::parse_port(*port_text);
    if (!port) return bad("has a bad port (1 to 65535)");
    server.port = *port;
  }
  return server;
}

}  // namespace beamlink::discovery
