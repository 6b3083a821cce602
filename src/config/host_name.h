// config/host_name.h - this machine's host name, as Erlang puts it after
// the '@' of a node name.
//
// `-sname` nodes use the short name (up to the first dot); `-name` nodes use
// the fully qualified one. Like erl, the long name is the host name when it
// already has a dot, else the canonical name the resolver gives for it, else
// the plain host name. Reads the system (gethostname, getaddrinfo); never
// fails, falling back to "localhost" when the system has no name.
#pragma once

#include <string>

namespace beamlink::config {

std::string short_host_name();
std::string long_host_name();

}  // namespace beamlink::config
