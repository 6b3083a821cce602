// text/parser.h - the recursive-descent parser behind parse_term, split by
// syntax: term_parser.cc (numbers, atoms, strings, tuples, lists, maps),
// binary_syntax.cc (<<...>> segments) and node_syntax.cc (pids, ports,
// references, funs). Pure; one Parser per call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "beamlink/result.h"
#include "beamlink/term.h"
#include "beamlink/term_text.h"
#include "text/bit_writer.h"
#include "text/lexer.h"

namespace beamlink::text {

inline constexpr size_t kMaxInputBytes = size_t{16} << 20;
inline constexpr size_t kMaxDepth = 1000;
// Binaries inside binaries (<<<<1>>/binary>>) take far more stack per level.
inline constexpr size_t kMaxBinaryNesting = 64;
inline constexpr size_t kMaxBinaryBits = kMaxInputBytes * 8;

class Parser {
 public:
  Parser(std::string_view input, const TermTextOptions& options)
      : lexer_(input), options_(options) {}

  // The whole input as one term, with an optional trailing period.
  Result<Term> parse_all();

 private:
  Result<Term> term(size_t depth);
  Result<Term> signed_number();
  Result<Term> atom_or_fun();
  Result<Term> string();
  Result<Term> tuple(size_t depth);
  Result<Term> list(size_t depth);
  Result<Term> map(size_t depth);
  Result<Term> hash_form(size_t depth);

  Result<Term> binary(size_t depth);  // binary_syntax.cc
  Result<void> segment(BitWriter& out, size_t depth);

  Result<Term> pid();  // node_syntax.cc
  Result<Term> port();
  Result<Term> reference();
  Result<Term> export_fun();

  // Calls item() for each element of a comma-separated sequence ending in
  // `close` (the opening token already consumed), then consumes `close`.
  template <class Item>
  Result<void> sequence(std::string_view close, std::string_view expected, Item item) {
    if (!token_.is(close)) {
      while (true) {
        if (auto ok = item(); !ok) return ok;
        if (token_.is(close)) break;
        if (auto ok = expect(",", expected); !ok) return ok;
      }
    }
    return advance();
  }

  Result<void> advance();
  Result<void> expect(std::string_view punctuation, std::string_view expected);
  std::unexpected<Error> unexpected(std::string_view expected) const;
  std::unexpected<Error> error_here(std::string_view message, Errc code = Errc::malformed) const;
  Result<Atom> atom_from(const Token& token) const;

  Lexer lexer_;
  const TermTextOptions& options_;
  Token token_;
  size_t binary_nesting_ = 0;
};

// "'}'", "end of input", ... for "expected X but found Y".
std::string describe(const Token& token);

}  // namespace beamlink::text
