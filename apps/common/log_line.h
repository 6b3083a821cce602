// log_line.h - the CLI's one log format: "<UTC time> <level> [beamlink:<area>] <message>"
// on stderr, one line per call, safe from any thread.
#pragma once

#include <string_view>

namespace beamlink::cli {

void log_line(std::string_view level, std::string_view area, std::string_view message);

}  // namespace beamlink::cli
