// Pids, ports, references and export funs in text: <0.1.2>,
// <node@host.1.2>, <'odd node'.1.2>, #Port<0.5>, #Ref<0.1.2.3>,
// fun m:f/2. See text/node_text.h for how nodes are named.
#include <charconv>
#include <limits>
#include <string>
#include <vector>

#include "text/chars.h"
#include "text/parser.h"

namespace beamlink::text {
namespace {

constexpr size_t kMaxBodyLength = 1024;
constexpr std::string_view kBareNodeChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@.-";

// A body split into its node name and the numbers after it.
struct NodeNumbers {
  std::string node;
  std::vector<uint64_t> numbers;
};

bool all_digits(std::string_view part) {
  if (part.empty() || part.size() > 20) return false;
  for (char c : part) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<std::string_view> split_dots(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// count: how many numbers follow the node, or 0 for "every trailing all-digit
// part" (references carry 1..5 numbers).
Result<NodeNumbers> split_body(const Lexer& lexer, std::string_view body, size_t offset,
                               size_t count, const TermTextOptions& options) {
  NodeNumbers out;
  std::vector<std::string_view> parts;
  if (body.starts_with('\'')) {
    Lexer quoted(body);
    auto atom = quoted.next();
    if (!atom || atom->kind != TokenKind::atom || !atom->quoted) {
      return lexer.error_at(offset, "bad quoted node name");
    }
    for (char32_t c : atom->chars) append_utf8(c, out.node);
    std::string_view rest = body.substr(atom->source.size());
    if (!rest.starts_with('.')) return lexer.error_at(offset, "expected '.' after the node name");
    parts = split_dots(rest.substr(1));
  } else {
    parts = split_dots(body);
    size_t numbers = count;
    if (count == 0) {
      while (numbers < parts.size() && all_digits(parts[parts.size() - 1 - numbers])) ++numbers;
      if (numbers == parts.size()) --numbers;  // all numeric: the first is a node number
    }
    if (numbers >= parts.size()) {
      return lexer.error_at(offset, "expected a node and numbers separated by '.'");
    }
    size_t node_parts = parts.size() - numbers;
    std::string_view node = body.substr(0, size_t(parts[node_parts - 1].end() - body.begin()));
    parts.erase(parts.begin(), parts.begin() + ptrdiff_t(node_parts));
    if (node == "0") {
      out.node = options.local_node;
    } else if (all_digits(node)) {
      return lexer.error_at(offset, "node number " + std::string(node) +
                                        " is unknown; write the node's name, as in "
                                        "<name@host.1.2>");
    } else if (node.find('@') == std::string_view::npos ||
               node.find_first_not_of(kBareNodeChars) != std::string_view::npos) {
      return lexer.error_at(
          offset, "bad node name '" + std::string(node) + "': want name@host, or a quoted atom");
    } else {
      out.node = std::string(node);
    }
  }
  if (parts.empty() || (count != 0 && parts.size() != count)) {
    return lexer.error_at(
        offset, count == 0 ? "expected numbers after the node"
                           : "expected " + std::to_string(count) + " numbers after the node");
  }
  for (std::string_view part : parts) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (!all_digits(part) || error != std::errc() || end != part.data() + part.size()) {
      return lexer.error_at(offset, "'" + std::string(part) + "' is not a number");
    }
    out.numbers.push_back(value);
  }
  return out;
}

// Reads the raw <...> body after the current '<' token and splits it.
Result<NodeNumbers> read_body(Lexer& lexer, size_t count, const TermTextOptions& options,
                              size_t& offset) {
  auto body = lexer.raw_until_angle(kMaxBodyLength, offset);
  if (!body) return std::unexpected(body.error());
  return split_body(lexer, *body, offset, count, options);
}

bool fits_u32(uint64_t value) {
  return value <= std::numeric_limits<uint32_t>::max();
}

}  // namespace

Result<Term> Parser::pid() {
  size_t offset = 0;
  auto split = read_body(lexer_, 2, options_, offset);
  if (!split) return std::unexpected(split.error());
  if (!fits_u32(split->numbers[0]) || !fits_u32(split->numbers[1])) {
    return lexer_.error_at(offset, "pid number above 4294967295");
  }
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term(Pid{Atom(std::move(split->node)), uint32_t(split->numbers[0]),
                  uint32_t(split->numbers[1]), 0});
}

Result<Term> Parser::port() {
  size_t offset = 0;
  auto split = read_body(lexer_, 1, options_, offset);
  if (!split) return std::unexpected(split.error());
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term(Port{Atom(std::move(split->node)), split->numbers[0], 0});
}

Result<Term> Parser::reference() {
  size_t offset = 0;
  auto split = read_body(lexer_, 0, options_, offset);
  if (!split) return std::unexpected(split.error());
  if (split->numbers.size() > 5) {
    return lexer_.error_at(offset, "a reference has at most 5 numbers");
  }
  Reference ref{Atom(std::move(split->node)), 0, {}};
  for (auto number = split->numbers.rbegin(); number != split->numbers.rend(); ++number) {
    if (!fits_u32(*number)) return lexer_.error_at(offset, "reference number above 4294967295");
    ref.ids.push_back(uint32_t(*number));
  }
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term(std::move(ref));
}

Result<Term> Parser::export_fun() {
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (token_.kind != TokenKind::atom) return unexpected("a module name after 'fun'");
  auto module = atom_from(token_);
  if (!module) return std::unexpected(module.error());
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (auto ok = expect(":", "':'"); !ok) return std::unexpected(ok.error());
  if (token_.kind != TokenKind::atom) return unexpected("a function name");
  auto function = atom_from(token_);
  if (!function) return std::unexpected(function.error());
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  if (auto ok = expect("/", "'/'"); !ok) return std::unexpected(ok.error());
  const int64_t* arity = token_.value.get_if<int64_t>();
  if (token_.kind != TokenKind::integer || arity == nullptr || *arity > 255) {
    return unexpected("an arity of 0 to 255");
  }
  ExportFun fun{std::move(*module), std::move(*function), uint8_t(*arity)};
  if (auto ok = advance(); !ok) return std::unexpected(ok.error());
  return Term(std::move(fun));
}

}  // namespace beamlink::text
