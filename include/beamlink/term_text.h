// beamlink/term_text.h - Erlang term text syntax: parse and print terms the
// way Erlang writes them.
//
// Printing follows io_lib:format("~p") without line breaks and with the
// separators erl uses in its shell (`{ok,[1,2,3]}` is printed as
// "{ok,[1,2,3]}"): atoms quoted only when needed ('quoted atom'), lists of
// printable characters as "strings", binaries as <<1,2>> or <<"text">>,
// bit strings as <<1,2:3>>, maps as #{a => 1}, floats in the shortest form
// that reads back to the same double (1.0, 0.1, 1.0e100), pids as
// <0.1.2> for local pids (node == options.local_node or "nonode@nohost")
// and otherwise as <node.id.serial> with the node name, references as
// #Ref<0.1.2.3>, ports as #Port<0.5>, funs as fun m:f/1 and #Fun<m.1.123>.
//
// Parsing accepts what the printer prints plus common Erlang literal forms:
// integers (with sign, base#digits, $c character literals, big integers),
// floats (1.5, 1.0e-3), atoms, quoted atoms with escapes, "strings" with
// escapes, <<"text">>, <<1,2,3>>, <<1:3>> segments with sizes, tuples,
// lists with `|` tails, maps with `=>`, and, so pids can be typed at the
// CLI, <node@host.1.2> / <0.1.2> pids, #Ref<...> and #Port<...>. A trailing
// period is allowed. Errors give the column and what was expected.
#pragma once

#include <string>
#include <string_view>

#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink {

struct TermTextOptions {
  // Pids, ports and references of this node print with node number 0, as
  // erl prints its own. Others print with their node name.
  std::string local_node = "nonode@nohost";
  // Lists of printable Unicode code points print as "strings" (like ~tp);
  // false prints only Latin-1 printable lists as strings (like ~p).
  bool unicode_strings = true;
};

std::string format_term(const Term& term, const TermTextOptions& options = {});

Result<Term> parse_term(std::string_view text, const TermTextOptions& options = {});

}  // namespace beamlink
