// beamlink/log.h - the one logger type of the library: the node
// (NodeOptions::logger), the cluster (ClusterOptions::logger), the EPMD
// daemon (epmd::ServerOptions::logger) and the service (beamlink/service.h)
// all take a Logger.
//
// Contract: a Logger is called with the level, the area that speaks and a
// one-line message without a trailing newline. Areas: "node" (the node and
// its distribution layer), "epmd" (the daemon), a topology's name (the
// cluster), or the area a Service was given. It may be called from any of
// the component's threads at once, so it must be thread-safe; it must not
// block for long. A Logger that throws is counted and ignored, never
// propagated. The views are valid only during the call.
#pragma once

#include <functional>
#include <string_view>

namespace beamlink {

enum class LogLevel { debug, info, warning, error };

// How a Service writes its log lines (node.log_format): text is
// "<UTC time> <level> [beamlink:<area>] <message>"; json is one object per
// line, {"ts":"<UTC time>","level":"...","area":"...","msg":"..."}.
enum class LogFormat { text, json };

using Logger = std::function<void(LogLevel level, std::string_view area, std::string_view message)>;

// "debug", "info", "warning", "error".
constexpr std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

}  // namespace beamlink
