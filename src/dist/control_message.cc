// Control message helpers. Out of line: inlined into callers, GCC 12 with
// sanitizers reports a false maybe-uninitialized inside std::variant here.
#include "dist/control_message.h"

namespace beamlink::dist {

std::optional<int64_t> control_op(const Term& control) {
  const auto* tuple = control.get_if<Tuple>();
  if (tuple == nullptr || tuple->elements.empty()) return std::nullopt;
  const auto* op = tuple->elements.front().get_if<int64_t>();
  if (op == nullptr) return std::nullopt;
  return *op;
}

}  // namespace beamlink::dist
