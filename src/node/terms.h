// node/terms.h - small helpers to take apart the terms the node runtime
// exchanges (control tuples, gen_call envelopes, DOWN messages). Building
// them uses the public helpers of beamlink/terms.h (atom, tuple, list, map).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "beamlink/term.h"
#include "beamlink/terms.h"

namespace beamlink::node {

// Element i of a tuple of exactly `size` elements, else nullptr.
inline const Tuple* tuple_of(const Term& term, size_t size) {
  const auto* t = term.get_if<Tuple>();
  return t != nullptr && t->elements.size() == size ? t : nullptr;
}

inline bool is_atom(const Term& term, std::string_view name) {
  return term.is_atom(name);
}

// The elements of a proper list, or nullptr for anything else.
inline const std::vector<Term>* proper_list(const Term& term) {
  const auto* list = term.get_if<List>();
  return list != nullptr && list->proper() ? &list->elements : nullptr;
}

// {'$gen_call', {From, Tag}, Request} taken apart (pointers into the
// message), or nullopt for any other shape.
struct GenCall {
  const Pid* from = nullptr;
  const Term* tag = nullptr;
  const Term* request = nullptr;
};
std::optional<GenCall> gen_call_of(const Term& message);

// For gen:call tags: [alias | Ref] (and [[alias | Ref] | _]) name an alias
// to reply to; the Ref, or nullptr for a plain tag.
const Reference* alias_of_tag(const Term& tag);

}  // namespace beamlink::node
