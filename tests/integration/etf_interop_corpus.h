// The corpus of etf_interop_test.cc: each case pairs an Erlang expression
// with what beamlink must make of it.
//
//  * FromErl cases: erl evaluates `erl` and prints term_to_binary of it
//    (minor version 2, plus `options`); beamlink decodes that, compares it
//    with `expected` (or runs `check`), and re-encodes it to the same bytes
//    unless `exact` is false (maps over 32 keys: OTP writes hash order).
//  * ToErl cases: beamlink encodes `term`; erl decodes it and compares it
//    with its own `erl` expression using =:=.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/term.h"

namespace beamlink::etf::interop {

struct ErlFacts {  // what erl printed beside the bytes
  std::string text;
};

struct FromErl {
  std::string name;
  std::string erl;
  std::optional<Term> expected = std::nullopt;
  std::function<void(const Term&, const ErlFacts&)> check = {};  // when expected is not enough
  std::string options = "";                                      // term_to_binary options
  EncodeOptions reencode = {};
  bool exact = true;
};

struct ToErl {
  std::string name;
  Term term;
  std::string erl;
  EncodeOptions options = {};
};

inline Term atom(std::string_view name) {
  return Term::atom(name);
}
inline Term tuple(std::vector<Term> elements) {
  return Term::tuple(std::move(elements));
}
inline Term list(std::vector<Term> elements) {
  return Term::list(std::move(elements));
}

// 2^bits as a BigInt, negated when asked.
inline Term power_of_two(size_t bits, bool negative = false) {
  std::vector<uint8_t> magnitude(bits / 8 + 1, 0);
  magnitude.back() = static_cast<uint8_t>(1u << (bits % 8));
  return Term(BigInt{negative, std::move(magnitude)});
}

inline Term squares_map(int count) {
  std::vector<std::pair<Term, Term>> entries;
  for (int i = 1; i <= count; ++i) entries.emplace_back(Term(i), Term(i * i));
  return Term::map(std::move(entries));
}

inline Term nested_tuples(int depth) {
  Term t = Term::nil();
  for (int i = 0; i < depth; ++i) t = tuple({t});
  return t;
}

// Terms used by both directions.
inline Term mixed_term() {
  return tuple({list({Term::map({{atom("k"), Term::improper_list({Term(1)}, Term(2))}})}),
                Term(BitString{Bytes::copy(std::string_view("\xE0")), 3}),
                tuple({Term(ExportFun{Atom("lists"), Atom("map"), 2})}), Term(-5)});
}
inline const char* mixed_erl() {
  return "{[#{k => [1|2]}], <<7:3>>, {fun lists:map/2}, -5}";
}

inline Term remote_pid() {
  return Term(Pid{Atom("a@host"), 5, 7, 0xFFFFFFFE});
}
inline const char* remote_pid_erl() {
  return "binary_to_term(<<131,88,119,6,\"a@host\",0,0,0,5,0,0,0,7,255,255,255,254>>)";
}
inline Term v4_port() {
  return Term(Port{Atom("a@host"), 0x100000002, 9});
}
inline const char* v4_port_erl() {
  return "binary_to_term(<<131,120,119,6,\"a@host\",0,0,0,1,0,0,0,2,0,0,0,9>>)";
}
inline Term remote_ref() {
  return Term(Reference{Atom("a@host"), 9, {1, 2, 3, 4, 5}});
}
inline const char* remote_ref_erl() {
  return "binary_to_term(<<131,90,0,5,119,6,\"a@host\",0,0,0,9,0,0,0,1,0,0,0,2,0,0,0,3,0,0,0,4,"
         "0,0,0,5>>)";
}

inline std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace beamlink::etf::interop
