// text/lexer.h - Erlang's token syntax for literal terms: numbers (with
// base#digits, $c and _ separators), atoms (bare and quoted), strings with
// escapes, variables (so the parser can reject them by name) and the
// punctuation of tuples, lists, maps, binaries, pids and funs. Comments
// (% to end of line) count as white space.
//
// Contract: never reads outside the input, never throws; integers are
// bounded to kMaxIntegerDigits digits. Tokens are produced one at a time so
// the parser can switch to raw reading inside <...> pid bodies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink::text {

inline constexpr size_t kMaxIntegerDigits = 100000;

enum class TokenKind : uint8_t {
  end,
  integer,      // value holds the integer (char literals included)
  floating,     // value holds the double
  atom,         // chars holds the name; quoted tells which form
  string,       // chars holds the code points
  variable,     // chars holds the name
  punctuation,  // source is one of { } [ ] ( ) | , << >> < > # => : / . - +
};

struct Token {
  TokenKind kind = TokenKind::end;
  size_t offset = 0;        // byte offset of the first character
  std::string_view source;  // the token's text as written
  Term value;
  std::u32string chars;
  bool quoted = false;

  bool is(std::string_view punctuation) const {
    return kind == TokenKind::punctuation && source == punctuation;
  }
};

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token, or an error such as "column 3: unterminated string".
  Result<Token> next();

  // Reads raw text up to the next '>' on the same line (at most max_length
  // bytes) and consumes the '>'. For <0.1.2> style bodies, which are not
  // made of ordinary tokens. offset receives where the body starts.
  Result<std::string_view> raw_until_angle(size_t max_length, size_t& offset);

  // "column 7" or, for input with several lines, "line 2, column 7".
  std::string where(size_t offset) const;

  // An error located at offset: "column 7: <message>".
  std::unexpected<Error> error_at(size_t offset, std::string_view message,
                                  Errc code = Errc::malformed) const;

 private:
  void skip_space_and_comments();
  Result<Token> number(Token token);
  Result<Token> name(Token token);
  Result<Token> quoted(Token token, char quote);
  Result<Token> char_literal(Token token);
  Result<char32_t> escape(size_t start);  // pos_ is just past the backslash
  Result<char32_t> source_char();         // one UTF-8 character at pos_

  std::string_view input_;
  size_t pos_ = 0;
};

}  // namespace beamlink::text
