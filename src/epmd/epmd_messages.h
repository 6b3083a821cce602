// epmd_messages.h - the EPMD wire format as pure functions over bytes.
//
// Names follow OTP's erl_dist_protocol documentation. Every request on the
// wire is a 2-byte big-endian length, then the request (code byte first);
// encode_*_request functions return the whole frame, length included.
// parse_*_request functions take the request without its length prefix (what
// RequestFramer yields). Responses carry no length prefix.
//
// Nothing here touches a socket; errors are Errc::malformed with the message
// name and byte offset, or Errc::invalid_argument for values that cannot be
// encoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/result.h"
#include "epmd/wire_bytes.h"

namespace beamlink::epmd {

inline constexpr uint8_t ALIVE2_REQ = 120;
inline constexpr uint8_t ALIVE2_X_RESP = 118;
inline constexpr uint8_t ALIVE2_RESP = 121;
inline constexpr uint8_t PORT_PLEASE2_REQ = 122;
inline constexpr uint8_t PORT2_RESP = 119;
inline constexpr uint8_t NAMES_REQ = 110;
inline constexpr uint8_t DUMP_REQ = 100;
inline constexpr uint8_t KILL_REQ = 107;
inline constexpr uint8_t STOP_REQ = 115;

// ALIVE2_REQ fixed part: code, PortNo, NodeType, Protocol, HighestVersion,
// LowestVersion, Nlen, Elen.
inline constexpr size_t kAlive2FixedSize = 1 + 2 + 1 + 1 + 2 + 2 + 2 + 2;

// Requests ---------------------------------------------------------------

Result<Bytes> encode_alive2_request(const NodeInfo& node);
Result<Bytes> encode_port_please2_request(std::string_view name);
Result<Bytes> encode_stop_request(std::string_view name);
// NAMES_REQ, DUMP_REQ, KILL_REQ: the code alone.
Bytes encode_bare_request(uint8_t code);

Result<NodeInfo> parse_alive2_request(ByteSpan request);
// PORT_PLEASE2_REQ and STOP_REQ: the code, then the name to the end.
Result<std::string> parse_name_request(ByteSpan request, uint8_t code);

// Responses ---------------------------------------------------------------

struct Alive2Response {
  uint8_t result = 0;  // 0 = ok
  uint32_t creation = 0;
  bool extended = true;  // ALIVE2_X_RESP (32-bit creation) or ALIVE2_RESP
  bool operator==(const Alive2Response&) const = default;
};

Bytes encode_alive2_x_response(uint8_t result, uint32_t creation);
Bytes encode_alive2_response(uint8_t result, uint16_t creation);
// nullopt while `bytes` holds only a prefix of the response.
Result<std::optional<Alive2Response>> parse_alive2_response(ByteSpan bytes);

// PORT2_RESP: result 0 with the node, or just 119 and a nonzero result.
Result<Bytes> encode_port2_response(const NodeInfo& node);
Bytes encode_port2_error(uint8_t result);
// The whole response (the daemon closes after it). An error result gives
// Errc::not_found.
Result<NodeInfo> parse_port2_response(ByteSpan bytes);

// NAMES_RESP: EPMDPortNo u32, then "name <name> at port <port>\n" lines.
std::string format_names_line(std::string_view name, uint16_t port);
Bytes encode_names_response(uint32_t epmd_port, const std::vector<NameEntry>& entries);
Result<NamesReply> parse_names_response(ByteSpan bytes);

}  // namespace beamlink::epmd
