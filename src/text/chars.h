// text/chars.h - character classes of Erlang's scanner and printer, and the
// UTF-8 steps the text module needs. Pure functions; thread safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beamlink::text {

// One code point decoded from the front of `text` and the bytes it used.
struct Decoded {
  char32_t code_point;
  size_t length;
};

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
// nullopt when `text` is empty or does not start with a valid sequence.
std::optional<Decoded> decode_utf8(std::string_view text);

// True when all of `text` is valid UTF-8.
bool valid_utf8(std::string_view text);

void append_utf8(char32_t code_point, std::string& out);

// io_lib's printable_latin1_list / printable_unicode_list, per character:
// the printing range plus the seven escapable controls \b\t\n\v\f\r\e.
bool printable_latin1(int64_t c);
bool printable_unicode(int64_t c);

// erl_scan: characters that may start an unquoted atom (lowercase letters,
// Latin-1 included) and that may follow in one (letters, digits, _ and @).
bool atom_start_char(char32_t c);
bool atom_name_char(char32_t c);
// Variables start with an uppercase letter or _.
bool variable_start_char(char32_t c);

// Erlang's reserved words ('and', 'case', ...), which print quoted as atoms.
bool reserved_word(std::string_view name);

}  // namespace beamlink::text
