// text/atom_text.h - atoms and quoted text written the way io_lib writes
// them with ~tp. Pure functions; thread safe.
#pragma once

#include <string>
#include <string_view>

namespace beamlink::text {

// True when the UTF-8 atom name must be written in single quotes: it does
// not start with a lowercase letter, holds a character erl_scan does not
// allow in a bare atom, or is a reserved word.
bool atom_needs_quotes(std::string_view name);

// Appends the atom, quoted only when needed. Bytes of `name` that are not
// valid UTF-8 are taken as Latin-1 characters.
void append_atom(std::string_view name, std::string& out);

// Appends `text` between `quote` characters, escaping as below.
void append_quoted(std::string_view text, char quote, std::string& out);

// Appends code point `c` as it appears between `quote` characters: the quote
// and backslash escaped, printable characters as UTF-8, \n-style escapes for
// the named controls and \NNN octal for the rest below U+00A0.
void append_quoted_char(char32_t c, char quote, std::string& out);

}  // namespace beamlink::text
