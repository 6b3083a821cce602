// dist/flags.h - the distribution capability flags (DFLAG_*), named and
// valued as in OTP's erl_dist_protocol, and the sets beamlink requires and
// announces.
//
// Contract: pure constants and functions, no state. A peer lacking any flag
// of kMandatory25 is refused during the handshake (status not_allowed), as
// OTP 25 does.
#pragma once

#include <cstdint>
#include <string>

namespace beamlink::dist {

inline constexpr uint64_t DFLAG_PUBLISHED = 0x1;
inline constexpr uint64_t DFLAG_ATOM_CACHE = 0x2;
inline constexpr uint64_t DFLAG_EXTENDED_REFERENCES = 0x4;
inline constexpr uint64_t DFLAG_DIST_MONITOR = 0x8;
inline constexpr uint64_t DFLAG_FUN_TAGS = 0x10;
inline constexpr uint64_t DFLAG_DIST_MONITOR_NAME = 0x20;
inline constexpr uint64_t DFLAG_HIDDEN_ATOM_CACHE = 0x40;
inline constexpr uint64_t DFLAG_NEW_FUN_TAGS = 0x80;
inline constexpr uint64_t DFLAG_EXTENDED_PIDS_PORTS = 0x100;
inline constexpr uint64_t DFLAG_EXPORT_PTR_TAG = 0x200;
inline constexpr uint64_t DFLAG_BIT_BINARIES = 0x400;
inline constexpr uint64_t DFLAG_NEW_FLOATS = 0x800;
inline constexpr uint64_t DFLAG_UNICODE_IO = 0x1000;
inline constexpr uint64_t DFLAG_DIST_HDR_ATOM_CACHE = 0x2000;
inline constexpr uint64_t DFLAG_SMALL_ATOM_TAGS = 0x4000;
inline constexpr uint64_t DFLAG_ETS_COMPRESSED = 0x8000;  // internal to erts
inline constexpr uint64_t DFLAG_UTF8_ATOMS = 0x10000;
inline constexpr uint64_t DFLAG_MAP_TAG = 0x20000;
inline constexpr uint64_t DFLAG_BIG_CREATION = 0x40000;
inline constexpr uint64_t DFLAG_SEND_SENDER = 0x80000;
inline constexpr uint64_t DFLAG_BIG_SEQTRACE_LABELS = 0x100000;
inline constexpr uint64_t DFLAG_PENDING_CONNECT = 0x200000;  // internal to erts
inline constexpr uint64_t DFLAG_EXIT_PAYLOAD = 0x400000;
inline constexpr uint64_t DFLAG_FRAGMENTS = 0x800000;
inline constexpr uint64_t DFLAG_HANDSHAKE_23 = 0x1000000;
inline constexpr uint64_t DFLAG_UNLINK_ID = 0x2000000;
inline constexpr uint64_t DFLAG_MANDATORY_25_DIGEST = 0x4000000;
inline constexpr uint64_t DFLAG_RESERVED = 0xf8000000;
inline constexpr uint64_t DFLAG_SPAWN = uint64_t{1} << 32;
inline constexpr uint64_t DFLAG_NAME_ME = uint64_t{1} << 33;
inline constexpr uint64_t DFLAG_V4_NC = uint64_t{1} << 34;
inline constexpr uint64_t DFLAG_ALIAS = uint64_t{1} << 35;

// What OTP 25 requires of every peer (erl_dist_protocol, "Mandatory in OTP
// 25"): 0x1070F94.
inline constexpr uint64_t kMandatory25 =
    DFLAG_EXTENDED_REFERENCES | DFLAG_FUN_TAGS | DFLAG_NEW_FUN_TAGS | DFLAG_EXTENDED_PIDS_PORTS |
    DFLAG_EXPORT_PTR_TAG | DFLAG_BIT_BINARIES | DFLAG_NEW_FLOATS | DFLAG_UTF8_ATOMS |
    DFLAG_MAP_TAG | DFLAG_BIG_CREATION | DFLAG_HANDSHAKE_23;
static_assert(kMandatory25 == 0x1070F94);

// Everything beamlink can honour. DIST_HDR_ATOM_CACHE is absent on purpose:
// without it both sides send pass-through frames (and fragment headers with
// no atom cache references), which are cheaper to build than cached headers.
inline constexpr uint64_t kSupported =
    kMandatory25 | DFLAG_DIST_MONITOR | DFLAG_DIST_MONITOR_NAME | DFLAG_SEND_SENDER |
    DFLAG_BIG_SEQTRACE_LABELS | DFLAG_EXIT_PAYLOAD | DFLAG_FRAGMENTS | DFLAG_UNLINK_ID |
    DFLAG_MANDATORY_25_DIGEST | DFLAG_SPAWN | DFLAG_V4_NC | DFLAG_ALIAS;

// The flags a node announces: kSupported, plus PUBLISHED unless hidden.
constexpr uint64_t advertised_flags(bool hidden) {
  return hidden ? kSupported : (kSupported | DFLAG_PUBLISHED);
}

// "DFLAG_MAP_TAG|DFLAG_UTF8_ATOMS" for the set bits of `flags` (unknown bits
// as hex), for error messages about missing flags.
std::string flag_names(uint64_t flags);

}  // namespace beamlink::dist
