#include "node/terms.h"

namespace beamlink::node {

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
