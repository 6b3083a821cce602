#include "epmd/local_peer.h"

namespace beamlink::epmd {
namespace {

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

bool is_local_peer(const asio::ip::address& remote, const asio::ip::address& local) {
  const asio::ip::address peer = unmapped(remote);
  if (peer.is_loopback()) return true;
  if (peer.is_unspecified()) return false;
  return peer == unmapped(local);
}

std::string describe_endpoint(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ":" + std::to_string(endpoint.port());
}

}  // namespace beamlink::epmd
