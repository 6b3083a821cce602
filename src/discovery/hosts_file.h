// discovery/hosts_file.h - Erlang's .hosts.erlang format, pure.
//
// The file is a sequence of Erlang terms, each ended by a full stop
// ("'host1'.\n'host2'.\n"), with %-comments; every term must be an atom
// (a host name). Errors give the line. find_hosts_file() looks where
// net_adm does: the working directory, then the home directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"

namespace beamlink::discovery {

Result<std::vector<std::string>> parse_hosts_file(std::string_view text);

// The first of `cwd`/.hosts.erlang and `home`/.hosts.erlang that exists.
std::optional<std::string> find_hosts_file(const std::string& cwd, const std::string& home);

// Reads and parses a file (at most 1 MiB).
Result<std::vector<std::string>> read_hosts_file(const std::string& path);

}  // namespace beamlink::discovery
