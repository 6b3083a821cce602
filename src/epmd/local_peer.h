// local_peer.h - whether a connection comes from this host.
//
// The daemon accepts registrations and control requests only from the local
// host, as real epmd does: a loopback peer (127.0.0.0/8, ::1, or either
// wrapped in an IPv4-mapped IPv6 address), or a peer whose address equals the
// local address of the accepted socket (a connection from this host to one of
// its own non-loopback interfaces).
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <string>

namespace beamlink::epmd {

bool is_local_peer(const asio::ip::address& remote, const asio::ip::address& local);

// "address:port" ("[v6]:port" for IPv6), for logs and RegisteredNode::peer.
std::string describe_endpoint(const asio::ip::tcp::endpoint& endpoint);

}  // namespace beamlink::epmd
