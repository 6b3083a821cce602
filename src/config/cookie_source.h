// config/cookie_source.h - where a node's cookie comes from.
//
// The order, first match wins (as the README documents):
//   1. an explicit cookie (the --cookie flag),
//   2. a cookie file named explicitly (--cookie-file),
//   3. the environment: BEAMLINK_COOKIE, then RELEASE_COOKIE (as Elixir
//      releases set it),
//   4. $HOME/.erlang.cookie, as erl reads it.
// A cookie file holds the cookie on its first line; surrounding whitespace
// is ignored. Like erl, a ~/.erlang.cookie readable by group or others is
// refused. The environment is passed in, never read behind the caller's
// back, so this is pure apart from reading the named files.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "beamlink/result.h"

namespace beamlink::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct CookieInputs {
  std::optional<std::string> flag;
  std::optional<std::string> file;
  EnvLookup env;  // may be empty: no environment
};

struct ResolvedCookie {
  std::string cookie;
  std::string source;  // "--cookie", "--cookie-file /x", "BEAMLINK_COOKIE", "~/.erlang.cookie"...
};

// Errc::not_found when no source has a cookie (the message lists where it
// looked); Errc::invalid_argument for an empty or unreadable cookie, or a
// cookie file with unsafe permissions.
Result<ResolvedCookie> resolve_cookie(const CookieInputs& inputs);

// The process environment, for the composition root (the CLI's main).
EnvLookup process_env();

}  // namespace beamlink::config
