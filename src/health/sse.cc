#include "health/sse.h"

namespace beamlink::health {
namespace {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string sse_event(std::string_view name, std::string_view data) {
  std::string out = "event: " + one_line(name) + "\n";
  size_t at = 0;
  for (;;) {
    size_t eol = data.find_first_of("\r\n", at);
    out += "data: ";
    out += data.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    out += "\n";
    if (eol == std::string_view::npos) break;
    at = eol + (data[eol] == '\r' && eol + 1 < data.size() && data[eol + 1] == '\n' ? 2 : 1);
  }
  return out + "\n";
}

std::string sse_comment(std::string_view text) {
  return ": " + one_line(text) + "\n\n";
}

std::string sse_response_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
         "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
}

}  // namespace beamlink::health
