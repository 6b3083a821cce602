#include "discovery/node_names.h"

namespace beamlink::discovery {

Result<void> check_node_name(std::string_view node) {
  size_t at = node.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == node.size()) {
    return fail(Errc::invalid_argument, "'" + std::string(node) + "' is not name@host");
  }
  if (node.find('@', at + 1) != std::string_view::npos) {
    return fail(Errc::invalid_argument, "'" + std::string(node) + "' has more than one '@'");
  }
  if (node.size() > 255) {
    return fail(Errc::invalid_argument, "node name longer than 255 bytes");
  }
  for (unsigned char c : node) {
    if (c <= ' ' || c == 0x7f) {
      return fail(Errc::invalid_argument,
                  "'" + std::string(node) + "' contains whitespace or control characters");
    }
  }
  return {};
}

std::string_view host_part(std::string_view node) {
  size_t at = node.find('@');
  return at == std::string_view::npos ? std::string_view{} : node.substr(at + 1);
}

}  // namespace beamlink::discovery
