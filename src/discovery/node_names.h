// discovery/node_names.h - checks and pieces of node names ("name@host").
#pragma once

#include <string>
#include <string_view>

#include "beamlink/result.h"

namespace beamlink::discovery {

// A usable node name: non-empty name and host parts, one '@', at most 255
// bytes, no whitespace or control characters.
Result<void> check_node_name(std::string_view node);

std::string_view host_part(std::string_view node);  // "" when there is no '@'

}  // namespace beamlink::discovery
