// service/log_sink.h - the service's log lines: one Logger (beamlink/log.h)
// that filters by level and writes one line per call in the text or the
// JSON format.
//
//   text: 2026-12-07T12:00:00.123Z info [beamlink:node] message
//   json: {"ts":"2026-12-07T12:00:00.123Z","level":"info","area":"node","msg":"message"}
//
// format_log_line is pure (the time is an argument). The sink's `output`
// is called once per line, from any thread, possibly from several at once
// (no lock is held around it); the default writes the line and its newline
// to stderr in one stdio call, so lines never interleave.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "beamlink/log.h"

namespace beamlink::service {

using LineOutput = std::function<void(std::string_view line)>;

// The line without its newline.
std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point at,
                            LogLevel level, std::string_view area, std::string_view message);

// Lines at `min_level` and above; `output` empty: stderr.
Logger make_log_sink(LogFormat format, LogLevel min_level, LineOutput output = {});

void write_stderr_line(std::string_view line);

}  // namespace beamlink::service
