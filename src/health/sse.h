// health/sse.h - the wire form of server-sent events (the HTML Living
// Standard's text/event-stream), pure and with no I/O.
//
// An event is "event: <name>\n", one "data: <line>\n" per line of the data
// and a blank line. A name never carries a line break (one would end the
// field early), so CR and LF in it become spaces; data split on LF, CRLF
// and CR as a browser splits it, so what arrives is what was given.
#pragma once

#include <string>
#include <string_view>

namespace beamlink::health {

std::string sse_event(std::string_view name, std::string_view data);

// A comment line, which a browser ignores: keeps a quiet stream from
// looking dead to proxies and shows a gone client through a failed write.
std::string sse_comment(std::string_view text);

// The response head opening a stream: 200, text/event-stream, no caching,
// Connection: close (the stream ends when the connection does).
std::string sse_response_head();

}  // namespace beamlink::health
