// text/node_text.h - how pids, ports and references name their node in
// text. erl writes its own as node number 0 (<0.1.2>) and others by a
// per-session node number; beamlink writes others by name so the text can
// be read back: <node@host.1.2>, or <'odd node'.1.2> when the bare name
// would be ambiguous. Pure functions; thread safe.
#pragma once

#include <string>
#include <string_view>

#include "beamlink/term_text.h"

namespace beamlink::text {

// True when `node` prints as 0: options.local_node or "nonode@nohost".
bool local_node(std::string_view node, const TermTextOptions& options);

// True when `node` can be written unquoted: it holds an @, only letters,
// digits and _@.- , no empty dot-separated part, and its last dot-separated
// part is not all digits (so the numbers after it stay unambiguous).
bool node_prints_bare(std::string_view node);

// Appends "0", the bare node name or the quoted atom.
void append_node(std::string_view node, const TermTextOptions& options, std::string& out);

}  // namespace beamlink::text
