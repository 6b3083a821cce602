#include "epmd/epmd_messages.h"

#include <charconv>
#include <limits>

namespace beamlink::epmd {
namespace {

constexpr size_t kMaxU16 = std::numeric_limits<uint16_t>::max();

// Wraps a request body (code first) in its 2-byte length prefix.
Result<Bytes> frame(const Bytes& body, std::string_view what) {
  if (body.size() > kMaxU16) {
    return fail(Errc::invalid_argument, std::string(what) + " of " + std::to_string(body.size()) +
                                            " bytes does not fit a 2-byte length");
  }
  Bytes out;
  out.reserve(body.size() + 2);
  put_u16(out, static_cast<uint16_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<Bytes> encode_name_request(uint8_t code, std::string_view name, std::string_view what) {
  if (name.empty()) return fail(Errc::invalid_argument, std::string(what) + ": empty node name");
  Bytes body{code};
  put_text(body, name);
  return frame(body, what);
}

// PortNo .. Extra, shared by ALIVE2_REQ and PORT2_RESP.
Result<void> put_node_fields(Bytes& out, const NodeInfo& node, std::string_view what) {
  if (node.name.empty())
    return fail(Errc::invalid_argument, std::string(what) + ": empty node name");
  if (node.name.size() > kMaxU16 || node.extra.size() > kMaxU16) {
    return fail(Errc::invalid_argument, std::string(what) + ": name or extra over 65535 bytes");
  }
  put_u16(out, node.port);
  put_u8(out, node.node_type);
  put_u8(out, node.protocol);
  put_u16(out, node.highest_version);
  put_u16(out, node.lowest_version);
  put_u16(out, static_cast<uint16_t>(node.name.size()));
  put_text(out, node.name);
  put_u16(out, static_cast<uint16_t>(node.extra.size()));
  put_text(out, node.extra);
  return {};
}

Result<NodeInfo> read_node_fields(ByteReader& in) {
  NodeInfo node;
  auto port = in.u16("PortNo");
  if (!port) return std::unexpected(port.error());
  auto type = in.u8("NodeType");
  if (!type) return std::unexpected(type.error());
  auto protocol = in.u8("Protocol");
  if (!protocol) return std::unexpected(protocol.error());
  auto high = in.u16("HighestVersion");
  if (!high) return std::unexpected(high.error());
  auto low = in.u16("LowestVersion");
  if (!low) return std::unexpected(low.error());
  auto nlen = in.u16("Nlen");
  if (!nlen) return std::unexpected(nlen.error());
  if (*nlen == 0) return in.error(Errc::malformed, "empty NodeName");
  auto name = in.text(*nlen, "NodeName");
  if (!name) return std::unexpected(name.error());
  auto elen = in.u16("Elen");
  if (!elen) return std::unexpected(elen.error());
  auto extra = in.text(*elen, "Extra");
  if (!extra) return std::unexpected(extra.error());
  node.port = *port;
  node.node_type = *type;
  node.protocol = *protocol;
  node.highest_version = *high;
  node.lowest_version = *low;
  node.name = std::move(*name);
  node.extra = std::move(*extra);
  return node;
}

Result<void> expect_code(ByteReader& in, uint8_t code) {
  auto got = in.u8("code");
  if (!got) return std::unexpected(got.error());
  if (*got != code) {
    return fail(Errc::malformed,
                "expected code " + std::to_string(code) + ", got " + std::to_string(*got));
  }
  return {};
}

}  // namespace

Result<Bytes> encode_alive2_request(const NodeInfo& node) {
  Bytes body{ALIVE2_REQ};
  if (auto ok = put_node_fields(body, node, "ALIVE2_REQ"); !ok) return std::unexpected(ok.error());
  return frame(body, "ALIVE2_REQ");
}

Result<Bytes> encode_port_please2_request(std::string_view name) {
  return encode_name_request(PORT_PLEASE2_REQ, name, "PORT_PLEASE2_REQ");
}

Result<Bytes> encode_stop_request(std::string_view name) {
  return encode_name_request(STOP_REQ, name, "STOP_REQ");
}

Bytes encode_bare_request(uint8_t code) {
  return Bytes{0, 1, code};
}

Result<NodeInfo> parse_alive2_request(ByteSpan request) {
  ByteReader in(request, "ALIVE2_REQ");
  if (auto ok = expect_code(in, ALIVE2_REQ); !ok) return std::unexpected(ok.error());
  auto node = read_node_fields(in);
  if (!node) return node;
  if (auto end = in.expect_end(); !end) return std::unexpected(end.error());
  return node;
}

Result<std::string> parse_name_request(ByteSpan request, uint8_t code) {
  ByteReader in(request, code == STOP_REQ ? "STOP_REQ" : "PORT_PLEASE2_REQ");
  if (auto ok = expect_code(in, code); !ok) return std::unexpected(ok.error());
  if (in.remaining() == 0) return in.error(Errc::malformed, "empty NodeName");
  return in.text(in.remaining(), "NodeName");
}

Bytes encode_alive2_x_response(uint8_t result, uint32_t creation) {
  Bytes out{ALIVE2_X_RESP, result};
  put_u32(out, creation);
  return out;
}

Bytes encode_alive2_response(uint8_t result, uint16_t creation) {
  Bytes out{ALIVE2_RESP, result};
  put_u16(out, creation);
  return out;
}

Result<std::optional<Alive2Response>> parse_alive2_response(ByteSpan bytes) {
  if (bytes.empty()) return std::nullopt;
  ByteReader in(bytes, "ALIVE2 response");
  const uint8_t code = bytes[0];
  size_t size = 0;
  if (code == ALIVE2_X_RESP) {
    size = 6;
  } else if (code == ALIVE2_RESP) {
    size = 4;
  } else {
    return in.error(Errc::malformed, "unexpected response code " + std::to_string(code));
  }
  if (bytes.size() < size) return std::nullopt;
  if (bytes.size() > size) {
    return fail(Errc::malformed, "ALIVE2 response: " + std::to_string(bytes.size() - size) +
                                     " unexpected trailing bytes");
  }
  Alive2Response out;
  out.extended = code == ALIVE2_X_RESP;
  out.result = bytes[1];
  (void)in.u8("code");
  (void)in.u8("Result");
  out.creation = out.extended ? *in.u32("Creation") : *in.u16("Creation");
  return out;
}

Result<Bytes> encode_port2_response(const NodeInfo& node) {
  Bytes out{PORT2_RESP, 0};
  if (auto ok = put_node_fields(out, node, "PORT2_RESP"); !ok) return std::unexpected(ok.error());
  return out;
}

Bytes encode_port2_error(uint8_t result) {
  return Bytes{PORT2_RESP, result};
}

Result<NodeInfo> parse_port2_response(ByteSpan bytes) {
  ByteReader in(bytes, "PORT2_RESP");
  if (auto ok = expect_code(in, PORT2_RESP); !ok) return std::unexpected(ok.error());
  auto result = in.u8("Result");
  if (!result) return std::unexpected(result.error());
  if (*result != 0) {
    return fail(Errc::not_found, "PORT2_RESP result " + std::to_string(*result));
  }
  auto node = read_node_fields(in);
  if (!node) return node;
  if (auto end = in.expect_end(); !end) return std::unexpected(end.error());
  return node;
}

std::string format_names_line(std::string_view name, uint16_t port) {
  std::string line = "name ";
  line += name;
  line += " at port ";
  line += std::to_string(port);
  line += '\n';
  return line;
}

Bytes encode_names_response(uint32_t epmd_port, const std::vector<NameEntry>& entries) {
  Bytes out;
  put_u32(out, epmd_port);
  for (const auto& entry : entries) put_text(out, format_names_line(entry.name, entry.port));
  return out;
}

Result<NamesReply> parse_names_response(ByteSpan bytes) {
  ByteReader in(bytes, "NAMES_RESP");
  auto port = in.u32("EPMDPortNo");
  if (!port) return std::unexpected(port.error());
  NamesReply reply;
  reply.epmd_port = *port;
  reply.text.assign(reinterpret_cast<const char*>(bytes.data() + 4), bytes.size() - 4);

  constexpr std::string_view kPrefix = "name ";
  constexpr std::string_view kAtPort = " at port ";
  std::string_view rest = reply.text;
  size_t offset = 4;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    auto bad_line = [&](std::string_view why) {
      return fail(Errc::malformed,
                  "NAMES_RESP at offset " + std::to_string(offset) + ": " + std::string(why));
    };
    if (newline == std::string_view::npos) return bad_line("line without newline");
    const size_t at = line.rfind(kAtPort);
    if (!line.starts_with(kPrefix) || at == std::string_view::npos || at <= kPrefix.size()) {
      return bad_line("expected \"name <name> at port <port>\"");
    }
    std::string_view digits = line.substr(at + kAtPort.size());
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value > kMaxU16) {
      return bad_line("bad port number");
    }
    reply.entries.push_back(NameEntry{std::string(line.substr(kPrefix.size(), at - kPrefix.size())),
                                      static_cast<uint16_t>(value)});
    offset += newline + 1;
    rest.remove_prefix(newline + 1);
  }
  return reply;
}

}  // namespace beamlink::epmd
