// beamlink/terms.h - short, typed helpers to build terms:
//
//   tuple(atom("ok"), 42, binary("body"))        {ok, 42, <<"body">>}
//   list(1, 2, 3)                                [1, 2, 3]
//   map({{atom("node"), atom(node.name())}, {atom("n"), 7}})
//   tuple(atom("reply"), pid, ref)               any Term-convertible value
//
// Each element is anything a Term converts from implicitly: a Term, an
// integer (int, unsigned, int64_t, uint64_t), a double, an Atom, a Pid, a
// Reference, a Binary, ... A C string is not: whether "x" means an atom,
// a binary or a charlist is for the caller to say (atom, binary, charlist).
// A bool is not either: use boolean(b). Pure functions; no I/O.
#pragma once

#include <concepts>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "beamlink/term.h"

namespace beamlink {

inline Term atom(std::string_view name) {
  return Term::atom(name);
}
inline Term binary(std::string_view bytes) {
  return Term::binary(bytes);
}
// A charlist (Erlang's "string"): the UTF-8 text's code points.
inline Term charlist(std::string_view utf8) {
  return Term::string(utf8);
}
inline Term boolean(bool value) {
  return Term::boolean(value);
}

// What an element may be: anything a Term converts from implicitly.
template <class T>
concept TermConvertible = std::convertible_to<T, Term>;

namespace terms_detail {
template <class... Ts>
std::vector<Term> elements(Ts&&... values) {
  std::vector<Term> items;
  items.reserve(sizeof...(Ts));
  (items.emplace_back(std::forward<Ts>(values)), ...);
  return items;
}
}  // namespace terms_detail

template <TermConvertible... Ts>
Term tuple(Ts&&... elements) {
  return Term::tuple(terms_detail::elements(std::forward<Ts>(elements)...));
}

// A proper list.
template <TermConvertible... Ts>
Term list(Ts&&... elements) {
  return Term::list(terms_detail::elements(std::forward<Ts>(elements)...));
}

// A map; a key given twice keeps the last value, as maps:from_list does.
inline Term map(std::initializer_list<std::pair<Term, Term>> entries) {
  return Term::map(std::vector<std::pair<Term, Term>>(entries));
}

}  // namespace beamlink
