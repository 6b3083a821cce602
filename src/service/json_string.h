// service/json_string.h - a JSON string literal (RFC 8259) for any bytes.
// Quotes, backslashes and control characters are escaped; well-formed
// UTF-8 passes through; each byte of a malformed UTF-8 sequence becomes
// U+FFFD, so the result always parses (log messages may carry a peer's
// bytes). Pure; no I/O.
#pragma once

#include <string>
#include <string_view>

namespace beamlink::service {

std::string json_string(std::string_view text);

}  // namespace beamlink::service
