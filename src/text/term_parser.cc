// parse_term: the literal subset of Erlang's expression syntax (see
// beamlink/term_text.h), with column-precise errors and bounded depth.
#include <string>
#include <utility>
#include <vector>

#include "beamlink/term_text.h"
#include "text/chars.h"
#include "text/parser.h"

namespace beamlink {
namespace text {

std::string describe(const Token& token) {
  if (token.kind == TokenKind::end) return "end of input";
  std::string_view shown = token.source;
  if (shown.size() > 24) {
    size_t cut = 24;
    while (cut > 0 && (uint8_t(shown[cut]) & 0xC0) == 0x80) --cut;
    return "'" + std::string(shown.substr(0, cut)) + "...'";
  }
  return "'" + std::string(shown) + "'";
}

Result<void> Parser::advance() {
  auto next = lexer_.next();
  if (!next) return std::unexpected(next.error());
  token_ = std::move(*next);
  return {};
}

std::unexpected<Error> Parser::error_here(std::string_view message, Errc code) const {
  return lexer_.error_at(token_.offset, message, code);
}

std::unexpected<Error> Parser::unexpected(std::string_view expected) const {
  return error_here("expected " + std::string(expected) + " but found " + describe(token_));
}

Result<void> Parser::expect(std::string_view punctuation, std::string_view expected) {
  if (!token_.is(punctuation)) return unexpected(expected);
  return advance();
}

Result<Term> Parser::parse_all() {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  auto result = term(0);
  if (!result) return result;
  if (token_.is(".")) {
    if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  }
  if (token_.kind != TokenKind::end) return unexpected("end of input");
  return result;
}

Result<Term> Parser::term(size_t depth) {
  if (depth >= kMaxDepth) {
    return error_here("terms nest deeper than " + std::to_string(kMaxDepth) + " levels",
                      Errc::limit_exceeded);
  }
  switch (token_.kind) {
    case TokenKind::integer:
    case TokenKind::floating: {
      Term value = std::move(token_.value);
      if (auto ok = advance(); !ok) return std::unexpected(ok.error());
      return value;
    }
    case TokenKind::atom:
      return atom_or_fun();
    case TokenKind::string:
      return string();
    case TokenKind::variable:
      return error_here("expected a term but found variable " + describe(token_) +
                        " (variables are not allowed)");
    case TokenKind::punctuation:
      if (token_.is("{")) return tuple(depth);
      if (token_.is("[")) return list(depth);
      if (token_.is("#")) return hash_form(depth);
      if (token_.is("<<")) return binary(depth);
      if (token_.is("<")) return pid();
      if (token_.is("-") || token_.is("+")) return signed_number();
      break;
    case TokenKind::end:
      break;
  }
  return unexpected("a term");
}

Result<Term> Parser::signed_number() {
  bool negative = token_.is("-");
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (token_.kind != TokenKind::integer && token_.kind != TokenKind::floating) {
    return unexpected("a number after the sign");
  }
  Term value = std::move(token_.value);
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (!negative) return value;
  if (const double* d = value.get_if<double>()) return Term(-*d);
  if (const int64_t* i = value.get_if<int64_t>()) return Term(-*i);  // lexed values are >= 0
  BigInt big = value.as<BigInt>();
  big.negative = !big.negative;
  return Term(std::move(big));
}

Result<Atom> Parser::atom_from(const Token& token) const {
  if (token.chars.size() > 255) {
    return lexer_.error_at(token.offset, "atom longer than 255 characters", Errc::limit_exceeded);
  }
  std::string name;
  for (char32_t c : token.chars) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      return lexer_.error_at(token.offset, "atom holds a surrogate code point");
    }
    append_utf8(c, name);
  }
  return Atom(std::move(name));
}

Result<Term> Parser::atom_or_fun() {
  if (!token_.quoted) {
    std::string name;
    for (char32_t c : token_.chars) append_utf8(c, name);
    if (name == "fun") return export_fun();
    if (reserved_word(name)) {
      return error_here("reserved word '" + name + "' must be quoted to be an atom");
    }
  }
  auto atom = atom_from(token_);
  if (!atom) return std::unexpected(atom.error());
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term(std::move(*atom));
}

Result<Term> Parser::string() {
  std::vector<Term> chars;
  while (token_.kind == TokenKind::string) {  // "ab" "cd" is "abcd", as in Erlang
    for (char32_t c : token_.chars) chars.emplace_back(int64_t(c));
    if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  }
  return Term::list(std::move(chars));
}

Result<Term> Parser::tuple(size_t depth) {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  std::vector<Term> elements;
  auto ok = sequence("}", "',' or '}'", [&]() -> Result<void> {
    auto element = term(depth + 1);
    if (!element) return std::unexpected(element.error());
    elements.push_back(std::move(*element));
    return {};
  });
  if (!ok) return std::unexpected(ok.error());
  return Term::tuple(std::move(elements));
}

Result<Term> Parser::list(size_t depth) {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  std::vector<Term> elements;
  Term tail;
  if (!token_.is("]")) {
    while (true) {
      auto element = term(depth + 1);
      if (!element) return element;
      elements.push_back(std::move(*element));
      if (token_.is("]")) break;
      if (token_.is("|")) {
        if (auto ok = advance(); !ok) return std::unexpected(ok.error());
        auto rest = term(depth + 1);
        if (!rest) return rest;
        tail = std::move(*rest);
        if (!token_.is("]")) return unexpected("']'");
        break;
      }
      if (auto ok = expect(",", "',', '|' or ']'"); !ok) return std::unexpected(ok.error());
    }
  }
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term::improper_list(std::move(elements), std::move(tail));
}

Result<Term> Parser::map(size_t depth) {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  std::vector<std::pair<Term, Term>> entries;
  auto ok = sequence("}", "',' or '}'", [&]() -> Result<void> {
    auto key = term(depth + 1);
    if (!key) return std::unexpected(key.error());
    if (auto arrow = expect("=>", "'=>'"); !arrow) return arrow;
    auto value = term(depth + 1);
    if (!value) return std::unexpected(value.error());
    entries.emplace_back(std::move(*key), std::move(*value));
    return {};
  });
  if (!ok) return std::unexpected(ok.error());
  return Term::map(std::move(entries));
}

Result<Term> Parser::hash_form(size_t depth) {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (token_.is("{")) return map(depth);
  bool named = token_.kind == TokenKind::variable && !token_.quoted;
  std::string_view form = named ? token_.source : "";
  if (form == "Ref" || form == "Port" || form == "Fun") {
    size_t form_offset = token_.offset;
    if (auto ok = advance(); !ok) return std::unexpected(ok.error());
    if (!token_.is("<")) return unexpected("'<'");
    if (form == "Ref") return reference();
    if (form == "Port") return port();
    return lexer_.error_at(form_offset,
                           "closures (#Fun<...>) cannot be read back from text; only "
                           "fun Module:Function/Arity can",
                           Errc::unsupported);
  }
  return unexpected("'{', Ref<, Port< or Fun< after '#'");
}

}  // namespace text

Result<Term> parse_term(std::string_view input, const TermTextOptions& options) {
  if (input.size() > text::kMaxInputBytes) {
    return fail(Errc::limit_exceeded, "term text of " + std::to_string(input.size()) +
                                          " bytes is over the " +
                                          std::to_string(text::kMaxInputBytes) + " byte limit");
  }
  return text::Parser(input, options).parse_all();
}

}  // namespace beamlink
