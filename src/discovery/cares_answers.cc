#include "discovery/cares_answers.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

namespace beamlink::discovery {
namespace {

Errc status_errc(int status) {
  switch (status) {
    case ARES_ETIMEOUT:
      return Errc::timeout;
    case ARES_EREFUSED:
      return Errc::refused;
    case ARES_EFORMERR:
    case ARES_EBADRESP:
      return Errc::malformed;
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
      return Errc::invalid_argument;
    default:
      return Errc::io;  // SERVFAIL, NOTIMP, no server reachable, ...
  }
}

}  // namespace

std::string cares_status_name(int status) {
  switch (status) {
    case ARES_ENODATA:
      return "ARES_ENODATA";
    case ARES_EFORMERR:
      return "ARES_EFORMERR";
    case ARES_ESERVFAIL:
      return "ARES_ESERVFAIL";
    case ARES_ENOTFOUND:
      return "ARES_ENOTFOUND";
    case ARES_ENOTIMP:
      return "ARES_ENOTIMP";
    case ARES_EREFUSED:
      return "ARES_EREFUSED";
    case ARES_EBADQUERY:
      return "ARES_EBADQUERY";
    case ARES_EBADNAME:
      return "ARES_EBADNAME";
    case ARES_EBADRESP:
      return "ARES_EBADRESP";
    case ARES_ECONNREFUSED:
      return "ARES_ECONNREFUSED";
    case ARES_ETIMEOUT:
      return "ARES_ETIMEOUT";
    case ARES_ENOMEM:
      return "ARES_ENOMEM";
    default:
      return "c-ares status " + std::to_string(status);
  }
}

Error cares_error(const std::string& what, int status) {
  return Error{status_errc(status),
               what + ": " + cares_status_name(status) + " (" + ares_strerror(status) + ")"};
}

Result<std::vector<std::string>> parse_address_reply(bool ipv6,
                                                     std::span<const unsigned char> reply,
                                                     const std::string& what) {
  const int length = static_cast<int>(reply.size());
  hostent* host = nullptr;
  int status = ipv6 ? ares_parse_aaaa_reply(reply.data(), length, &host, nullptr, nullptr)
                    : ares_parse_a_reply(reply.data(), length, &host, nullptr, nullptr);
  if (status == ARES_ENODATA) return std::vector<std::string>{};
  if (status != ARES_SUCCESS) return std::unexpected(cares_error(what, status));
  std::vector<std::string> addresses;
  char text[INET6_ADDRSTRLEN];
  for (char** address = host->h_addr_list; address != nullptr && *address != nullptr; ++address) {
    if (inet_ntop(host->h_addrtype, *address, text, sizeof text) != nullptr) {
      addresses.emplace_back(text);
    }
  }
  ares_free_hostent(host);
  return addresses;
}

Result<std::vector<SrvRecord>> parse_srv_reply(std::span<const unsigned char> reply,
                                               const std::string& what) {
  ares_srv_reply* records = nullptr;
  int status = ares_parse_srv_reply(reply.data(), static_cast<int>(reply.size()), &records);
  if (status == ARES_ENODATA) return std::vector<SrvRecord>{};
  if (status != ARES_SUCCESS) return std::unexpected(cares_error(what, status));
  std::vector<SrvRecord> out;
  for (ares_srv_reply* r = records; r != nullptr; r = r->next) {
    std::string target = r->host == nullptr ? std::string() : std::string(r->host);
    if (target.ends_with('.')) target.pop_back();
    out.push_back({std::move(target), r->port, r->priority, r->weight});
  }
  ares_free_data(records);
  return out;
}

}  // namespace beamlink::discovery
