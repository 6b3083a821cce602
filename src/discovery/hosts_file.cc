#include "discovery/hosts_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "beamlink/term.h"
#include "beamlink/term_text.h"

namespace beamlink::discovery {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

Result<std::vector<std::string>> parse_hosts_file(std::string_view text) {
  std::vector<std::string> hosts;
  size_t i = 0;
  size_t line = 1;
  while (i < text.size()) {
    char c = text[i];
    if (is_space(c)) {
      if (c == '\n') ++line;
      ++i;
      continue;
    }
    if (c == '%') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    // One term, up to a full stop followed by whitespace, '%' or the end.
    size_t start = i;
    size_t start_line = line;
    char quote = 0;
    bool ended = false;
    for (; i < text.size(); ++i) {
      char d = text[i];
      if (d == '\n') ++line;
      if (quote != 0) {
        if (d == '\\' && i + 1 < text.size()) {
          ++i;
        } else if (d == quote) {
          quote = 0;
        }
        continue;
      }
      if (d == '\'' || d == '"') {
        quote = d;
        continue;
      }
      if (d == '%') break;
      if (d == '.' && (i + 1 == text.size() || is_space(text[i + 1]) || text[i + 1] == '%')) {
        ended = true;
        break;
      }
    }
    std::string_view term_text = text.substr(start, i - start);
    if (!ended) {
      // One log line: control characters of the quoted term become spaces.
      std::string shown(term_text.substr(0, 60));
      for (char& ch : shown) {
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
      }
      return fail(Errc::malformed, "line " + std::to_string(start_line) + ": term '" + shown +
                                       "' is not ended by a full stop");
    }
    ++i;  // the full stop
    auto term = parse_term(term_text);
    if (!term) {
      return fail(Errc::malformed,
                  "line " + std::to_string(start_line) + ": " + term.error().message);
    }
    const Atom* atom = term->get_if<Atom>();
    if (atom == nullptr) {
      return fail(Errc::malformed, "line " + std::to_string(start_line) +
                                       ": expected a host name atom, got " + format_term(*term));
    }
    if (atom->name.empty() || atom->name.size() > 255) {
      return fail(Errc::malformed, "line " + std::to_string(start_line) + ": bad host name");
    }
    hosts.push_back(atom->name);
  }
  return hosts;
}

std::optional<std::string> find_hosts_file(const std::string& cwd, const std::string& home) {
  for (const std::string& dir : {cwd, home}) {
    if (dir.empty()) continue;
    std::filesystem::path path = std::filesystem::path(dir) / ".hosts.erlang";
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return std::nullopt;
}

Result<std::vector<std::string>> read_hosts_file(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(Errc::io, path + ": " + ec.message());
  if (size > (1u << 20)) return fail(Errc::limit_exceeded, path + ": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  auto hosts = parse_hosts_file(text.str());
  if (!hosts) return fail(hosts.error().code, path + ": " + hosts.error().message);
  return hosts;
}

}  // namespace beamlink::discovery
