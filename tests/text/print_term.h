// text/print_term.h - lets gtest show a Term in failure messages as its
// Erlang text.
#pragma once

#include <ostream>

#include "beamlink/term_text.h"

namespace beamlink {

inline void PrintTo(const Term& term, std::ostream* out) {
  *out << format_term(term);
}

}  // namespace beamlink
