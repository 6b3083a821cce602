#include "config/host_name.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace beamlink::config {
namespace {

std::string system_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

std::string short_host_name() {
  std::string host = system_host_name();
  return host.substr(0, host.find('.'));
}

std::string long_host_name() {
  std::string host = system_host_name();
  if (host.find('.') != std::string::npos) return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return host;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  if (found == nullptr || found->ai_canonname == nullptr || found->ai_canonname[0] == '\0') {
    return host;
  }
  return found->ai_canonname;
}

}  // namespace beamlink::config
