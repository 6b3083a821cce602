#include "config/cookie_source.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace beamlink::config {
namespace {

constexpr size_t kMaxCookie = 4096;

std::string trim(std::string s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

Result<std::string> read_cookie_file(const std::string& path, bool check_mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(Errc::not_found, "no cookie file " + path);
  if (!S_ISREG(st.st_mode))
    return fail(Errc::invalid_argument, "cookie file " + path + " is not a regular file");
  if (check_mode && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(
        Errc::invalid_argument,
        "cookie file " + path + " must be accessible by owner only (chmod 400 " + path + ")");
  }
  std::ifstream in(path);
  if (!in) return fail(Errc::invalid_argument, "cannot read cookie file " + path);
  std::string line;
  std::getline(in, line);
  if (line.size() > kMaxCookie)
    return fail(Errc::invalid_argument, "cookie in " + path + " is too long");
  line = trim(line);
  if (line.empty()) return fail(Errc::invalid_argument, "cookie file " + path + " is empty");
  return line;
}

}  // namespace

Result<ResolvedCookie> resolve_cookie(const CookieInputs& inputs) {
  if (inputs.flag) {
    if (inputs.flag->empty()) return fail(Errc::invalid_argument, "--cookie is empty");
    return ResolvedCookie{*inputs.flag, "--cookie"};
  }
  if (inputs.file) {
    auto cookie = read_cookie_file(*inputs.file, false);
    if (!cookie) return std::unexpected(cookie.error());
    return ResolvedCookie{*cookie, "--cookie-file " + *inputs.file};
  }
  for (const char* name : {"BEAMLINK_COOKIE", "RELEASE_COOKIE"}) {
    if (!inputs.env) break;
    if (auto value = inputs.env(name); value && !value->empty()) {
      return ResolvedCookie{*value, name};
    }
  }
  std::optional<std::string> home = inputs.env ? inputs.env("HOME") : std::nullopt;
  if (home && !home->empty()) {
    std::string path = *home + "/.erlang.cookie";
    auto cookie = read_cookie_file(path, true);
    if (cookie) return ResolvedCookie{*cookie, "~/.erlang.cookie"};
    if (cookie.error().code != Errc::not_found) return std::unexpected(cookie.error());
  }
  return fail(Errc::not_found,
              "no cookie: pass --cookie or --cookie-file, set BEAMLINK_COOKIE or RELEASE_COOKIE, "
              "or create ~/.erlang.cookie");
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace beamlink::config
