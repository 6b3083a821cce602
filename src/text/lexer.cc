#include "text/lexer.h"

#include <charconv>
#include <string>
#include <vector>

#include "etf/big_int_digits.h"
#include "text/chars.h"

namespace beamlink::text {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Value of c as a digit in bases up to 36, or 99 when it is none.
unsigned digit_value(char c) {
  if (c >= '0' && c <= '9') return unsigned(c - '0');
  if (c >= 'a' && c <= 'z') return unsigned(c - 'a' + 10);
  if (c >= 'A' && c <= 'Z') return unsigned(c - 'A' + 10);
  return 99;
}

}  // namespace

std::string Lexer::where(size_t offset) const {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < input_.size(); ++i) {
    uint8_t byte = uint8_t(input_[i]);
    if (byte == '\n') {
      ++line;
      column = 1;
    } else if ((byte & 0xC0) != 0x80) {
      ++column;
    }
  }
  bool one_line = input_.find('\n') == std::string_view::npos;
  std::string out = one_line ? "" : "line " + std::to_string(line) + ", ";
  return out + "column " + std::to_string(column);
}

std::unexpected<Error> Lexer::error_at(size_t offset, std::string_view message, Errc code) const {
  return fail(code, where(offset) + ": " + std::string(message));
}

void Lexer::skip_space_and_comments() {
  while (pos_ < input_.size()) {
    char c = input_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++pos_;
    } else if (c == '%') {
      while (pos_ < input_.size() && input_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

Result<Token> Lexer::next() {
  skip_space_and_comments();
  Token token;
  token.offset = pos_;
  if (pos_ >= input_.size()) return token;
  char c = input_[pos_];
  Result<Token> result;
  if (is_digit(c)) {
    result = number(std::move(token));
  } else if (c == '\'' || c == '"') {
    ++pos_;
    result = quoted(std::move(token), c);
  } else if (c == '$') {
    ++pos_;
    result = char_literal(std::move(token));
  } else {
    auto decoded = decode_utf8(input_.substr(pos_));
    if (decoded &&
        (atom_start_char(decoded->code_point) || variable_start_char(decoded->code_point))) {
      result = name(std::move(token));
    } else {
      std::string_view rest = input_.substr(pos_);
      size_t length = 0;
      if (rest.starts_with("<<") || rest.starts_with(">>") || rest.starts_with("=>")) {
        length = 2;
      } else if (std::string_view("{}[]()|,<>#:/.-+").find(c) != std::string_view::npos) {
        length = 1;
      } else {
        std::string shown = decoded ? std::string(rest.substr(0, decoded->length))
                                    : "\\x" + std::to_string(uint8_t(c));
        return error_at(pos_, "unexpected character '" + shown + "'");
      }
      token.kind = TokenKind::punctuation;
      pos_ += length;
      result = std::move(token);
    }
  }
  if (result) result->source = input_.substr(result->offset, pos_ - result->offset);
  return result;
}

Result<Token> Lexer::number(Token token) {
  // Digits with single _ separators between them; returns the digits.
  auto digits = [&](auto accept) -> Result<std::string> {
    std::string out;
    while (pos_ < input_.size()) {
      char c = input_[pos_];
      if (c == '_' && !out.empty() && pos_ + 1 < input_.size() && accept(input_[pos_ + 1])) {
        ++pos_;
        continue;
      }
      if (!accept(c)) break;
      out += c;
      ++pos_;
      if (out.size() > kMaxIntegerDigits) {
        return error_at(token.offset, "number has more than 100000 digits", Errc::limit_exceeded);
      }
    }
    return out;
  };
  auto whole = digits(is_digit);
  if (!whole) return std::unexpected(whole.error());

  if (pos_ + 1 < input_.size() && input_[pos_] == '#' && digit_value(input_[pos_ + 1]) < 36) {
    unsigned base = whole->size() <= 2 ? unsigned(std::stoi(*whole)) : 0;
    if (base < 2 || base > 36) return error_at(token.offset, "base must be 2..36");
    ++pos_;
    size_t digits_start = pos_;
    auto text = digits([](char c) { return digit_value(c) < 36; });
    if (!text) return std::unexpected(text.error());
    std::vector<uint8_t> values;
    for (char c : *text) {
      if (digit_value(c) >= base) {
        return error_at(digits_start, "'" + std::string(1, c) + "' is not a base " +
                                          std::to_string(base) + " digit");
      }
      values.push_back(uint8_t(digit_value(c)));
    }
    token.kind = TokenKind::integer;
    token.value = etf::integer_from_magnitude(false, etf::magnitude_from_digits(values, base));
    return token;
  }

  if (pos_ + 1 < input_.size() && input_[pos_] == '.' && is_digit(input_[pos_ + 1])) {
    ++pos_;
    auto fraction = digits(is_digit);
    if (!fraction) return std::unexpected(fraction.error());
    std::string text = *whole + "." + *fraction;
    if (pos_ < input_.size() && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
      size_t sign =
          pos_ + 1 < input_.size() && (input_[pos_ + 1] == '-' || input_[pos_ + 1] == '+');
      if (pos_ + 1 + sign < input_.size() && is_digit(input_[pos_ + 1 + sign])) {
        text += 'e';
        if (sign) text += input_[pos_ + 1];
        pos_ += 1 + sign;
        auto exponent = digits(is_digit);
        if (!exponent) return std::unexpected(exponent.error());
        text += *exponent;
      }
    }
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      return error_at(token.offset, "float out of range");
    }
    token.kind = TokenKind::floating;
    token.value = Term(value);
    return token;
  }

  auto value = BigInt::parse_decimal(*whole);
  if (!value) return error_at(token.offset, "bad integer");
  token.kind = TokenKind::integer;
  token.value = std::move(*value);
  return token;
}

Result<Token> Lexer::name(Token token) {
  bool first = true;
  while (pos_ < input_.size()) {
    auto decoded = decode_utf8(input_.substr(pos_));
    if (!decoded) break;
    char32_t c = decoded->code_point;
    if (first) {
      token.kind = atom_start_char(c) ? TokenKind::atom : TokenKind::variable;
    } else if (!atom_name_char(c)) {
      break;
    }
    first = false;
    token.chars += c;
    pos_ += decoded->length;
  }
  return token;
}

Result<Token> Lexer::quoted(Token token, char quote) {
  token.kind = quote == '"' ? TokenKind::string : TokenKind::atom;
  token.quoted = true;
  while (true) {
    if (pos_ >= input_.size()) {
      return error_at(token.offset,
                      quote == '"' ? "unterminated string" : "unterminated quoted atom");
    }
    char c = input_[pos_];
    if (c == quote) {
      ++pos_;
      return token;
    }
    Result<char32_t> next_char;
    if (c == '\\') {
      ++pos_;
      next_char = escape(pos_ - 1);
    } else {
      next_char = source_char();
    }
    if (!next_char) return std::unexpected(next_char.error());
    token.chars += *next_char;
  }
}

Result<Token> Lexer::char_literal(Token token) {
  Result<char32_t> c;
  if (pos_ < input_.size() && input_[pos_] == '\\') {
    ++pos_;
    c = escape(pos_ - 1);
  } else {
    c = source_char();
  }
  if (!c) return std::unexpected(c.error());
  token.kind = TokenKind::integer;
  token.value = Term(int64_t(*c));
  return token;
}

Result<char32_t> Lexer::source_char() {
  if (pos_ >= input_.size()) return error_at(pos_, "unexpected end of input");
  auto decoded = decode_utf8(input_.substr(pos_));
  if (!decoded) return error_at(pos_, "invalid UTF-8");
  pos_ += decoded->length;
  return decoded->code_point;
}

Result<char32_t> Lexer::escape(size_t start) {
  if (pos_ >= input_.size()) return error_at(start, "unterminated escape sequence");
  char c = input_[pos_];
  if (c >= '0' && c <= '7') {
    char32_t value = 0;
    for (int i = 0; i < 3 && pos_ < input_.size() && input_[pos_] >= '0' && input_[pos_] <= '7';
         ++i) {
      value = value * 8 + char32_t(input_[pos_++] - '0');
    }
    return value;
  }
  if (c == 'x') {
    ++pos_;
    bool braced = pos_ < input_.size() && input_[pos_] == '{';
    pos_ += braced;
    char32_t value = 0;
    size_t count = 0;
    while (pos_ < input_.size() && digit_value(input_[pos_]) < 16 && (braced || count < 2)) {
      value = value * 16 + digit_value(input_[pos_++]);
      if (++count > 8) break;
    }
    bool closed = !braced || (pos_ < input_.size() && input_[pos_] == '}');
    if (count == 0 || (!braced && count != 2) || !closed) {
      return error_at(start, "bad \\x escape: expected \\xHH or \\x{H...}");
    }
    pos_ += braced;
    if (value > 0x10FFFF) return error_at(start, "character code above 16#10FFFF");
    return value;
  }
  if (c == '^') {
    ++pos_;
    auto control = source_char();
    if (!control) return control;
    return char32_t(*control & 31);
  }
  static constexpr std::string_view kNamed = "n\nr\rt\tv\vb\bf\fe\x1bs d\x7f";
  for (size_t i = 0; i < kNamed.size(); i += 2) {
    if (kNamed[i] == c) {
      ++pos_;
      return char32_t(kNamed[i + 1]);
    }
  }
  return source_char();
}

Result<std::string_view> Lexer::raw_until_angle(size_t max_length, size_t& offset) {
  skip_space_and_comments();
  offset = pos_;
  size_t end = pos_;
  if (end < input_.size() && input_[end] == '\'') {  // a quoted node name may hold '>'
    for (++end; end < input_.size() && input_[end] != '\''; ++end) end += input_[end] == '\\';
  }
  while (end < input_.size() && input_[end] != '>' && input_[end] != '\n' &&
         end - pos_ <= max_length) {
    ++end;
  }
  if (end >= input_.size() || input_[end] != '>') return error_at(pos_, "expected '>'");
  std::string_view body = input_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return body;
}

}  // namespace beamlink::text
