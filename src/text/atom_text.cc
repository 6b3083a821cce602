#include "text/atom_text.h"

#include "text/chars.h"

namespace beamlink::text {
namespace {

// Calls visit(code_point) for each character, reading invalid UTF-8 bytes
// as Latin-1 so any byte string prints as something readable.
template <class Visit>
void for_each_char(std::string_view text, Visit visit) {
  while (!text.empty()) {
    auto decoded = decode_utf8(text);
    if (decoded) {
      visit(decoded->code_point);
      text.remove_prefix(decoded->length);
    } else {
      visit(char32_t(uint8_t(text.front())));
      text.remove_prefix(1);
    }
  }
}

}  // namespace

bool atom_needs_quotes(std::string_view name) {
  if (name.empty() || reserved_word(name)) return true;
  bool first = true;
  bool quote = false;
  for_each_char(name, [&](char32_t c) {
    if (first ? !atom_start_char(c) : !atom_name_char(c)) quote = true;
    first = false;
  });
  return quote;
}

void append_atom(std::string_view name, std::string& out) {
  if (!atom_needs_quotes(name)) {
    for_each_char(name, [&](char32_t c) { append_utf8(c, out); });
    return;
  }
  append_quoted(name, '\'', out);
}

void append_quoted(std::string_view text, char quote, std::string& out) {
  out += quote;
  for_each_char(text, [&](char32_t c) { append_quoted_char(c, quote, out); });
  out += quote;
}

void append_quoted_char(char32_t c, char quote, std::string& out) {
  if (c == char32_t(quote) || c == '\\') {
    out += '\\';
    out += char(c);
    return;
  }
  if ((c >= 0x20 && c <= 0x7E) || c >= 0xA0) {
    append_utf8(c, out);
    return;
  }
  switch (c) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case 0x1B:
      out += "\\e";
      return;
    case 0x7F:
      out += "\\d";
      return;
    default:
      break;
  }
  out += '\\';
  out += char('0' + ((c >> 6) & 7));
  out += char('0' + ((c >> 3) & 7));
  out += char('0' + (c & 7));
}

}  // namespace beamlink::text
