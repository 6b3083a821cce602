// etf/utf8.h - the text checks atoms need: strict UTF-8 validation (no
// overlong forms, no surrogates, nothing above U+10FFFF) and Latin-1 to
// UTF-8 conversion for the legacy ATOM_EXT/SMALL_ATOM_EXT tags.
// Pure functions; thread safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace beamlink::etf {

// Number of code points in `text`, or nullopt when it is not valid UTF-8.
std::optional<size_t> utf8_code_points(std::string_view text);

// Appends the UTF-8 form of Latin-1 `text` to `out`.
void latin1_to_utf8(std::string_view text, std::string& out);

}  // namespace beamlink::etf
