// config/value_parsers.h - the text forms settings share between the TOML
// file and the environment: durations, ports, booleans, counts, sizes.
//
// Each returns nullopt for malformed text; the caller names the key or the
// variable in its error. Pure functions, no allocation beyond the result.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace beamlink::config {

// "500ms", "5s", "2m", "1h", "1.5s" -> milliseconds (rounded to the nearest
// millisecond). A number without a unit is malformed; negative, non-finite
// and absurd (over ~31 years) values too.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// As parse_duration, but a bare integer counts in `unit` (how the
// environment spells BEAMLINK_TICKTIME=60 or BEAMLINK_STARTUP_TIMEOUT=5000).
std::optional<std::chrono::milliseconds> parse_duration_or(std::string_view text,
                                                           std::chrono::milliseconds unit);

// A decimal integer in [min, max], nothing else around it.
std::optional<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max);

// A size in bytes: a bare integer, or one with a binary unit "KiB", "MiB",
// "GiB", "TiB" (also "K", "M", "G", "T"), e.g. "256MiB", "1G", "65536".
// nullopt for anything else and for values outside [min, max].
std::optional<uint64_t> parse_byte_size(std::string_view text, uint64_t min, uint64_t max);

// A TCP port, 1..65535.
std::optional<uint16_t> parse_port(std::string_view text);

// "P" or "MIN-MAX" with MIN <= MAX; "P" is MIN = MAX = P.
struct PortRange {
  uint16_t min = 0;
  uint16_t max = 0;
};
std::optional<PortRange> parse_port_range(std::string_view text);

// "name@host" with both parts non-empty and a single '@'.
bool is_node_name(std::string_view text);

// "true"/"false", also "1"/"0" and "yes"/"no" as shells tend to write them.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace beamlink::config
