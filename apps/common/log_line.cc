#include "log_line.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace beamlink::cli {

void log_line(std::string_view level, std::string_view area, std::string_view message) {
  static std::mutex mutex;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s.%03dZ %.*s [beamlink:%.*s] %.*s\n", stamp, static_cast<int>(millis),
               static_cast<int>(level.size()), level.data(), static_cast<int>(area.size()),
               area.data(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace beamlink::cli
