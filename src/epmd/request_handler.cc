#include "epmd/request_handler.h"

#include "epmd/epmd_messages.h"

namespace beamlink::epmd {
namespace {

constexpr uint8_t kResultError = 1;

Outcome close_with_log(LogLevel level, std::string log) {
  Outcome out;
  out.level = level;
  out.log = std::move(log);
  return out;
}

Outcome refuse_alive2(const PeerInfo& peer, std::string why) {
  Outcome out;
  out.reply = encode_alive2_x_response(kResultError, 0);
  out.level = LogLevel::warning;
  out.log = "refused ALIVE2_REQ from " + peer.description + ": " + why;
  return out;
}

Outcome handle_alive2(ByteSpan request, const PeerInfo& peer, ConnectionId self,
                      NodeRegistry& registry, const HandlerConfig& config) {
  if (!peer.local) return refuse_alive2(peer, "not a local peer");
  auto node = parse_alive2_request(request);
  if (!node) {
    return close_with_log(LogLevel::warning,
                          "bad request from " + peer.description + ": " + node.error().to_string());
  }
  if (node->name.size() > config.limits.max_name_length) {
    return refuse_alive2(peer, "name of " + std::to_string(node->name.size()) + " bytes");
  }
  if (node->extra.size() > config.limits.max_extra_length) {
    return refuse_alive2(peer, "extra of " + std::to_string(node->extra.size()) + " bytes");
  }
  auto creation = registry.add(*node, peer.description, self);
  if (!creation) return refuse_alive2(peer, creation.error().message);

  Outcome out;
  if (node->highest_version >= 6) {
    out.reply = encode_alive2_x_response(0, *creation);
  } else {
    out.reply = encode_alive2_response(0, static_cast<uint16_t>(*creation % 3 + 1));
  }
  out.after = AfterReply::hold_registration;
  out.level = LogLevel::info;
  out.log = "registered '" + node->name + "' at port " + std::to_string(node->port) + " from " +
            peer.description + ", creation " + std::to_string(*creation);
  return out;
}

Outcome handle_port_please(ByteSpan request, const PeerInfo& peer, NodeRegistry& registry) {
  auto name = parse_name_request(request, PORT_PLEASE2_REQ);
  if (!name) {
    return close_with_log(LogLevel::warning,
                          "bad request from " + peer.description + ": " + name.error().to_string());
  }
  Outcome out;
  auto node = registry.find(*name);
  auto reply =
      node ? encode_port2_response(*node) : Result<Bytes>(encode_port2_error(kResultError));
  out.reply = reply ? std::move(*reply) : encode_port2_error(kResultError);
  return out;
}

Outcome handle_names(NodeRegistry& registry, const HandlerConfig& config) {
  std::vector<NameEntry> entries;
  for (const auto& row : registry.snapshot()) entries.push_back({row.node.name, row.node.port});
  Outcome out;
  out.reply = encode_names_response(config.epmd_port, entries);
  return out;
}

// epmd -dump prints these lines; the NUL after each line is what real epmd
// sends too.
Outcome handle_dump(NodeRegistry& registry, const HandlerConfig& config) {
  Outcome out;
  put_u32(out.reply, config.epmd_port);
  for (const auto& [row, owner] : registry.snapshot_with_owners()) {
    std::string line = "active name     <" + row.node.name + "> at port " +
                       std::to_string(row.node.port) + ", fd = " + std::to_string(owner) + " \n";
    put_text(out.reply, line);
    put_u8(out.reply, 0);
  }
  return out;
}

Outcome handle_kill(const PeerInfo& peer, NodeRegistry& registry, const HandlerConfig& config) {
  Outcome out;
  if (!config.relaxed_command_check && !registry.empty()) {
    put_text(out.reply, "NO");
    out.level = LogLevel::warning;
    out.log = "refused KILL_REQ from " + peer.description + ": live nodes registered";
    return out;
  }
  put_text(out.reply, "OK");
  out.after = AfterReply::stop_server;
  out.level = LogLevel::info;
  out.log = "KILL_REQ from " + peer.description + ": stopping";
  return out;
}

Outcome handle_stop(ByteSpan request, const PeerInfo& peer, NodeRegistry& registry,
                    const HandlerConfig& config) {
  if (!config.relaxed_command_check) {
    return close_with_log(LogLevel::warning, "refused STOP_REQ from " + peer.description +
                                                 ": no relaxed command check");
  }
  auto name = parse_name_request(request, STOP_REQ);
  if (!name) {
    return close_with_log(LogLevel::warning,
                          "bad request from " + peer.description + ": " + name.error().to_string());
  }
  Outcome out;
  out.close_connection = registry.release_name(*name);
  put_text(out.reply, out.close_connection ? "STOPPED" : "NOEXIST");
  out.level = LogLevel::info;
  out.log = "STOP_REQ '" + *name + "' from " + peer.description + ": " +
            (out.close_connection ? "unregistered" : "no such node");
  return out;
}

}  // namespace

size_t max_request_size(const ServerLimits& limits) {
  return kAlive2FixedSize + limits.max_name_length + limits.max_extra_length;
}

Outcome handle_request(ByteSpan request, const PeerInfo& peer, ConnectionId self,
                       NodeRegistry& registry, const HandlerConfig& config) {
  const uint8_t code = request.empty() ? 0 : request[0];
  const bool local_only = code == DUMP_REQ || code == KILL_REQ || code == STOP_REQ;
  if (local_only && !peer.local) {
    return close_with_log(LogLevel::warning, "refused request " + std::to_string(code) + " from " +
                                                 peer.description + ": not a local peer");
  }
  switch (code) {
    case ALIVE2_REQ:
      return handle_alive2(request, peer, self, registry, config);
    case PORT_PLEASE2_REQ:
      return handle_port_please(request, peer, registry);
    case NAMES_REQ:
      return handle_names(registry, config);
    case DUMP_REQ:
      return handle_dump(registry, config);
    case KILL_REQ:
      return handle_kill(peer, registry, config);
    case STOP_REQ:
      return handle_stop(request, peer, registry, config);
    default:
      return close_with_log(LogLevel::warning, "unknown request code " + std::to_string(code) +
                                                   " from " + peer.description);
  }
}

}  // namespace beamlink::epmd
