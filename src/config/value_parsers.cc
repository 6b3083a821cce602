#include "config/value_parsers.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace beamlink::config {
namespace {

constexpr double kMaxDurationMs = 1e12;

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '.';
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  size_t unit_at = 0;
  while (unit_at < text.size() && is_number_char(text[unit_at])) ++unit_at;
  if (unit_at == 0) return std::nullopt;
  double number = 0;
  const char* number_end = text.data() + unit_at;
  auto [end, ec] = std::from_chars(text.data(), number_end, number);
  if (ec != std::errc() || end != number_end || !std::isfinite(number)) return std::nullopt;
  std::string_view unit = text.substr(unit_at);
  double scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return std::nullopt;
  }
  double ms = number * scale;
  if (ms > kMaxDurationMs) return std::nullopt;
  return std::chrono::milliseconds(std::llround(ms));
}

std::optional<std::chrono::milliseconds> parse_duration_or(std::string_view text,
                                                           std::chrono::milliseconds unit) {
  int64_t max_count = static_cast<int64_t>(kMaxDurationMs) / std::max<int64_t>(unit.count(), 1);
  if (auto count = parse_integer(text, 0, max_count)) return *count * unit;
  return parse_duration(text);
}

std::optional<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end_of_text = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), end_of_text, value);
  if (text.empty() || ec != std::errc() || end != end_of_text) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_byte_size(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  const char* end_of_text = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), end_of_text, value);
  if (text.empty() || ec != std::errc()) return std::nullopt;
  const std::string_view unit(end, static_cast<size_t>(end_of_text - end));
  int shift = 0;
  if (unit == "K" || unit == "KiB") {
    shift = 10;
  } else if (unit == "M" || unit == "MiB") {
    shift = 20;
  } else if (unit == "G" || unit == "GiB") {
    shift = 30;
  } else if (unit == "T" || unit == "TiB") {
    shift = 40;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (value > (UINT64_MAX >> shift)) return std::nullopt;
  value <<= shift;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  auto value = parse_integer(text, 1, 65535);
  if (!value) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

std::optional<PortRange> parse_port_range(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto port = parse_port(text);
    if (!port) return std::nullopt;
    return PortRange{*port, *port};
  }
  auto min = parse_port(text.substr(0, dash));
  auto max = parse_port(text.substr(dash + 1));
  if (!min || !max || *min > *max) return std::nullopt;
  return PortRange{*min, *max};
}

bool is_node_name(std::string_view text) {
  size_t at = text.find('@');
  return at != 0 && at != std::string_view::npos && at + 1 < text.size() &&
         text.find('@', at + 1) == std::string_view::npos;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::nullopt;
}

}  // namespace beamlink::config
