#include "cluster_logs.h"

#include <charconv>
#include <ctime>
#include <fstream>

namespace cluster_bench {
namespace {

bool read_int(std::string_view text, size_t at, size_t width, int& out) {
  if (at + width > text.size()) return false;
  auto [end, error] = std::from_chars(text.data() + at, text.data() + at + width, out);
  return error == std::errc() && end == text.data() + at + width;
}

}  // namespace

std::optional<int64_t> parse_stamp(std::string_view stamp) {
  // 2026-11-21T11:10:27.005Z
  if (stamp.size() != 24 || stamp[4] != '-' || stamp[10] != 'T' || stamp[19] != '.' ||
      stamp[23] != 'Z') {
    return std::nullopt;
  }
  std::tm tm{};
  int millis = 0;
  if (!read_int(stamp, 0, 4, tm.tm_year) || !read_int(stamp, 5, 2, tm.tm_mon) ||
      !read_int(stamp, 8, 2, tm.tm_mday) || !read_int(stamp, 11, 2, tm.tm_hour) ||
      !read_int(stamp, 14, 2, tm.tm_min) || !read_int(stamp, 17, 2, tm.tm_sec) ||
      !read_int(stamp, 20, 3, millis)) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

std::optional<NodeEvent> parse_node_event(std::string_view line) {
  // "<stamp> <level> [<area>] nodeup <peer>" or "... nodedown <peer>: <reason>"
  const size_t area_end = line.find("] node");
  if (area_end == std::string_view::npos || line.size() < 24) return std::nullopt;
  auto at = parse_stamp(line.substr(0, 24));
  if (!at) return std::nullopt;
  std::string_view rest = line.substr(area_end + 2);
  NodeEvent event;
  event.at_ms = *at;
  if (rest.starts_with("nodeup ")) {
    event.up = true;
    rest.remove_prefix(7);
  } else if (rest.starts_with("nodedown ")) {
    rest.remove_prefix(9);
  } else {
    return std::nullopt;
  }
  const size_t end = rest.find_first_of(": ");
  event.peer = std::string(rest.substr(0, end));
  if (!event.up && end != std::string_view::npos) {
    std::string_view reason = rest.substr(end);
    while (!reason.empty() && (reason.front() == ':' || reason.front() == ' ')) {
      reason.remove_prefix(1);
    }
    event.reason = std::string(reason);
  }
  if (event.peer.empty()) return std::nullopt;
  return event;
}

std::vector<std::string> LogFollower::new_lines() {
  std::vector<std::string> lines;
  std::ifstream file(path_, std::ios::binary);
  if (!file) return lines;
  file.seekg(offset_);
  std::string chunk((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  offset_ += static_cast<int64_t>(chunk.size());
  partial_ += chunk;
  size_t start = 0;
  for (size_t newline; (newline = partial_.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    lines.push_back(partial_.substr(start, newline - start));
  }
  partial_.erase(0, start);
  return lines;
}

void PeerView::add(const NodeEvent& event) {
  bool& up = up_[event.peer];
  if (event.up && !up) {
    up = true;
    ++up_count_;
    if (up_count_ >= expected_ && !saw_all_at_) saw_all_at_ = event.at_ms;
  } else if (!event.up) {
    ++downs_;
    downs_seen_.push_back(event);
    if (up) --up_count_;
    up = false;
    if (up_count_ < expected_) saw_all_at_.reset();
  }
}

std::optional<NodeEvent> PeerView::down_since(const std::string& peer, int64_t since_ms) const {
  for (const auto& event : downs_seen_) {
    if (event.peer == peer && event.at_ms >= since_ms) return event;
  }
  return std::nullopt;
}

}  // namespace cluster_bench
