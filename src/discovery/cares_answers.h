// discovery/cares_answers.h - DNS replies read with c-ares's parsers, and
// c-ares statuses as beamlink errors. Pure functions over bytes.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "beamlink/result.h"
#include "discovery/dns_resolver.h"

namespace beamlink::discovery {

// The status as its c-ares macro name ("ARES_ESERVFAIL"), for logs.
std::string cares_status_name(int status);

// "<what>: ARES_ESERVFAIL (Server failed to process query)"; the code says
// timeout, refused, malformed, invalid_argument or io.
Error cares_error(const std::string& what, int status);

// The addresses of an A (`ipv6` false) or AAAA reply, as inet_ntop writes
// them; none when it holds no record of the type. `what` names the query
// in the error of a malformed reply.
Result<std::vector<std::string>> parse_address_reply(bool ipv6,
                                                     std::span<const unsigned char> reply,
                                                     const std::string& what);

// The records of an SRV reply, each target without its final dot.
Result<std::vector<SrvRecord>> parse_srv_reply(std::span<const unsigned char> reply,
                                               const std::string& what);

}  // namespace beamlink::discovery
