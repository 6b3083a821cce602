#include "service/log_sink.h"

#include <cstdio>
#include <ctime>
#include <string>

#include "service/json_string.h"

namespace beamlink::service {
namespace {

// "2026-12-07T12:00:00.123Z"
std::string utc_stamp(std::chrono::system_clock::time_point at) {
  std::time_t secs = std::chrono::system_clock::to_time_t(at);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  if (millis < 0) millis += 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
  return stamp;
}

}  // namespace

std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point at,
                            LogLevel level, std::string_view area, std::string_view message) {
  std::string line;
  if (format == LogFormat::json) {
    line = "{\"ts\":\"" + utc_stamp(at) + "\",\"level\":\"" + std::string(log_level_name(level)) +
           "\",\"area\":" + json_string(area) + ",\"msg\":" + json_string(message) + "}";
    return line;
  }
  line = utc_stamp(at);
  line += ' ';
  line += log_level_name(level);
  line += " [beamlink:";
  line += area;
  line += "] ";
  line += message;
  return line;
}

void write_stderr_line(std::string_view line) {
  // One stdio call per line: stdio's own lock keeps lines whole, and no
  // lock of ours is held across the write.
  std::string whole(line);
  whole += '\n';
  std::fwrite(whole.data(), 1, whole.size(), stderr);
  std::fflush(stderr);
}

Logger make_log_sink(LogFormat format, LogLevel min_level, LineOutput output) {
  if (!output) output = write_stderr_line;
  return [format, min_level, output = std::move(output)](LogLevel level, std::string_view area,
                                                         std::string_view message) {
    if (level < min_level) return;
    std::string line =
        format_log_line(format, std::chrono::system_clock::now(), level, area, message);
    output(line);
  };
}

}  // namespace beamlink::service
