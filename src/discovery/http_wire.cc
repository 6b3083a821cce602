#include "discovery/http_wire.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace beamlink::discovery::http {
namespace {

constexpr size_t kMaxChunkLine = 4096;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Result<void> malformed(std::string why) {
  return fail(Errc::malformed, "HTTP response: " + std::move(why));
}

}  // namespace

std::string format_request(std::string_view method, std::string_view host, std::string_view target,
                           const HttpHeaders& headers) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  out.append(host).append("\r\n");
  for (const auto& [name, value] : headers)
    out.append(name).append(": ").append(value).append("\r\n");
  out.append("Connection: close\r\n\r\n");
  return out;
}

std::optional<Result<ResponseHead>> parse_response_head(std::string_view bytes, size_t max_bytes) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > max_bytes) {
      return fail(Errc::limit_exceeded,
                  "HTTP response head longer than " + std::to_string(max_bytes) + " bytes");
    }
    return std::nullopt;
  }
  if (end + 4 > max_bytes) {
    return fail(Errc::limit_exceeded,
                "HTTP response head longer than " + std::to_string(max_bytes) + " bytes");
  }
  ResponseHead head;
  head.size = end + 4;
  std::string_view rest = bytes.substr(0, end + 2);
  size_t eol = rest.find("\r\n");
  std::string_view status_line = rest.substr(0, eol);
  rest.remove_prefix(eol + 2);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return fail(Errc::malformed,
                "HTTP response: bad status line '" + std::string(status_line.substr(0, 80)) + "'");
  }
  auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, head.status);
  if (ec != std::errc() || ptr != status_line.data() + 12 || head.status < 100 ||
      head.status > 999) {
    return fail(Errc::malformed, "HTTP response: bad status code in '" +
                                     std::string(status_line.substr(0, 80)) + "'");
  }
  if (status_line.size() > 13) head.reason = std::string(status_line.substr(13));
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !std::all_of(line.begin(), line.begin() + colon, is_token_char)) {
      return fail(Errc::malformed,
                  "HTTP response: bad header line '" + std::string(line.substr(0, 80)) + "'");
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      size_t length = 0;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc() || p != value.data() + value.size()) {
        return fail(Errc::malformed,
                    "HTTP response: bad Content-Length '" + std::string(value.substr(0, 32)) + "'");
      }
      head.content_length = length;
    } else if (iequals(name, "Transfer-Encoding")) {
      std::string lower(value);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      head.chunked = lower.ends_with("chunked");
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  if (head.chunked) head.content_length.reset();  // RFC 9112 6.3: chunked wins
  return head;
}

Result<void> ChunkedDecoder::feed(std::string_view in, std::string& out) {
  while (!in.empty() && state_ != State::done) {
    if (state_ == State::data) {
      size_t take = std::min(remaining_, in.size());
      out.append(in.substr(0, take));
      in.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::data_end;
      continue;
    }
    // size, data_end and trailer states read one CRLF-ended line.
    size_t eol = in.find('\n');
    std::string_view part = in.substr(0, eol == std::string_view::npos ? in.size() : eol);
    if (line_.size() + part.size() > kMaxChunkLine) {
      return fail(Errc::malformed, "HTTP chunked body: a size or trailer line over " +
                                       std::to_string(kMaxChunkLine) + " bytes");
    }
    line_.append(part);
    if (eol == std::string_view::npos) return {};
    in.remove_prefix(eol + 1);
    std::string line = std::move(line_);
    line_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (state_ == State::data_end) {
      if (!line.empty()) return malformed("chunk data longer than its declared size");
      state_ = State::size;
    } else if (state_ == State::trailer) {
      if (line.empty()) state_ = State::done;
    } else {
      std::string_view digits = line;
      digits = digits.substr(0, digits.find(';'));
      digits = trim(digits);
      size_t size = 0;
      auto [p, e] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
      if (digits.empty() || e != std::errc() || p != digits.data() + digits.size()) {
        return malformed("bad chunk size '" + line.substr(0, 32) + "'");
      }
      remaining_ = size;
      state_ = size == 0 ? State::trailer : State::data;
    }
  }
  return {};
}

Result<bool> LineSplitter::feed(std::string_view data,
                                const std::function<bool(std::string_view)>& on_line) {
  while (!data.empty()) {
    size_t eol = data.find('\n');
    if (eol == std::string_view::npos) {
      if (pending_.size() + data.size() > max_line_) {
        return fail(Errc::limit_exceeded,
                    "a streamed line longer than " + std::to_string(max_line_) + " bytes");
      }
      pending_.append(data);
      return true;
    }
    if (pending_.size() + eol > max_line_) {
      return fail(Errc::limit_exceeded,
                  "a streamed line longer than " + std::to_string(max_line_) + " bytes");
    }
    pending_.append(data.substr(0, eol));
    data.remove_prefix(eol + 1);
    std::string line = std::move(pending_);
    pending_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && !on_line(line)) return false;
  }
  return true;
}

}  // namespace beamlink::discovery::http
