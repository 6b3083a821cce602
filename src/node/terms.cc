#include "node/terms.h"

namespace beamlink::node {

std::optional<GenCall> gen_call_of(const Term& message) {
  const Tuple* call = tuple_of(message, 3);
  if (call == nullptr || !call->elements[0].is_atom("$gen_call")) return std::nullopt;
  const Tuple* from = tuple_of(call->elements[1], 2);
  if (from == nullptr || !from->elements[0].is<Pid>()) return std::nullopt;
  return GenCall{&from->elements[0].as<Pid>(), &from->elements[1], &call->elements[2]};
}

const Reference* alias_of_tag(const Term& tag) {
  const auto* list = tag.get_if<List>();
  if (list == nullptr || list->elements.empty()) return nullptr;
  if (list->elements.size() == 1 && list->elements[0].is_atom("alias") && list->tail != nullptr) {
    return list->tail->get_if<Reference>();
  }
  // [[alias | Ref] | _]: gen's multi-call form.
  return list->elements.size() >= 1 && !list->elements[0].is_atom("alias")
             ? alias_of_tag(list->elements[0])
             : nullptr;
}

}  // namespace beamlink::node
