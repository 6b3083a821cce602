#include "health/http_request.h"

namespace beamlink::health {
namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
         c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace

std::optional<Result<RequestHead>> parse_request_head(std::string_view bytes, size_t max_bytes) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > max_bytes) {
      return fail(Errc::limit_exceeded,
                  "request head longer than " + std::to_string(max_bytes) + " bytes");
    }
    return std::nullopt;
  }
  if (end + 4 > max_bytes) {
    return fail(Errc::limit_exceeded,
                "request head longer than " + std::to_string(max_bytes) + " bytes");
  }
  std::string_view head = bytes.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  // METHOD SP TARGET SP VERSION
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(Errc::malformed, "bad request line");
  }
  RequestHead out;
  out.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = std::string(line.substr(sp2 + 1));
  if (out.method.empty()) return fail(Errc::malformed, "empty method");
  for (char c : out.method) {
    if (!is_token_char(c)) return fail(Errc::malformed, "bad method");
  }
  if (out.version != "HTTP/1.1" && out.version != "HTTP/1.0") {
    return fail(Errc::malformed, "unsupported version");
  }
  if (target.empty() || target[0] != '/') return fail(Errc::malformed, "bad request target");
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return fail(Errc::malformed, "bad request target");
    }
  }
  out.path = std::string(target.substr(0, target.find('?')));
  // Header lines: "name: value", names are tokens.
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view header = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    size_t colon = header.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return fail(Errc::malformed, "bad header line");
    }
    for (char c : header.substr(0, colon)) {
      if (!is_token_char(c)) return fail(Errc::malformed, "bad header name");
    }
  }
  return out;
}

std::string make_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace beamlink::health
