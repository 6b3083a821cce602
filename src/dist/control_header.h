// dist/control_header.h - a control message parsed straight from its
// bytes into a typed header, with no Term built, for the operations on the
// data path (erl_dist_protocol, "Protocol between Connected Nodes"):
//   SEND, SEND_TT, SEND_SENDER, SEND_SENDER_TT, REG_SEND, REG_SEND_TT,
//   ALIAS_SEND, ALIAS_SEND_TT, LINK, UNLINK, UNLINK_ID, UNLINK_ID_ACK,
//   MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT, EXIT, EXIT2, EXIT_TT, EXIT2_TT,
//   PAYLOAD_EXIT, PAYLOAD_EXIT_TT, PAYLOAD_EXIT2, PAYLOAD_EXIT2_TT,
//   PAYLOAD_MONITOR_P_EXIT (the payload, the message or reason that
//   follows, is not part of the header).
// Every other operation, and any of these in a shape the header does not
// carry (a wrong arity, a SEND to something that is not a pid, a Latin-1
// atom with bytes over 127, an op code not written as SMALL_INTEGER_EXT),
// is reported as not parsed: the caller decodes the control message as a
// Term, as before.
//
// Views: the strings in a header (node names, registered names) point
// into the parsed bytes or into the atom refs of the frame's distribution
// header; they are valid as long as both are. The reason of an EXIT-like
// message and a trace token are rare and stay Terms.
//
// Pure: no I/O, no state; untrusted input is bounds-checked and a
// malformed or truncated message is a clear error (Errc::malformed, or
// limit_exceeded from decoding a reason or token over DecodeLimits), never
// a crash.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "beamlink/etf.h"
#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink::dist {

struct PidView {
  std::string_view node;  // UTF-8
  uint32_t id = 0;
  uint32_t serial = 0;
  uint32_t creation = 0;
  Pid to_pid() const { return Pid{Atom(std::string(node)), id, serial, creation}; }
};

struct RefView {
  std::string_view node;  // UTF-8
  uint32_t creation = 0;
  uint8_t words = 0;  // 1..5
  std::array<uint32_t, 5> ids{};
  Reference to_reference() const;
};

// A process as MONITOR_P and its kin name it: a pid or a registered name.
struct ProcView {
  bool named = false;
  PidView pid;            // when !named
  std::string_view name;  // when named
  Term to_term() const;
};

struct ControlHeader {
  int64_t op = 0;
  PidView from;              // all but SEND and SEND_TT (their Unused), and MONITOR_P_EXIT (proc)
  PidView to;                // SEND*, LINK, UNLINK*, *EXIT*
  std::string_view to_name;  // REG_SEND, REG_SEND_TT
  ProcView proc;             // MONITOR_P, DEMONITOR_P: ToProc; *MONITOR_P_EXIT: FromProc
  RefView ref;               // ALIAS_SEND*: the alias; *MONITOR_P*, DEMONITOR_P: the monitor
  uint64_t unlink_id = 0;    // UNLINK_ID, UNLINK_ID_ACK
  std::optional<Term> trace_token;  // the _TT forms
  std::optional<Term> reason;       // EXIT, EXIT2, EXIT_TT, EXIT2_TT, MONITOR_P_EXIT
  // The unused element of SEND/SEND_TT and REG_SEND (usually ''), kept only
  // so that to_term() gives back the tuple that arrived: an atom's text, or
  // any other term.
  std::string_view unused_atom;
  std::optional<Term> unused;
  size_t consumed = 0;  // bytes of the control message

  // The control tuple as the Term decoder would have built it.
  Term to_term() const;
};

// Parses the control message at the start of `data` (no version byte: as
// it follows a distribution header; `options.atom_refs` resolves
// ATOM_CACHE_REF). True: `out` holds it (out.consumed bytes); false: not an
// operation or shape the header carries (see above), `out` unspecified.
Result<bool> parse_control(std::span<const uint8_t> data, const etf::DecodeOptions& options,
                           ControlHeader& out);

// The header of a control message that arrived as a Term (a sink's
// deliver(), or a shape parse_control left to the Term decoder): views into
// `control`'s strings, valid while it lives. False when `control` is not an
// operation the header carries in the shape it carries it (see above; here
// any non-negative integer id up to 64 bits and any atom are taken).
bool header_from_term(const Term& control, ControlHeader& out);

}  // namespace beamlink::dist
