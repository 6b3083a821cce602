// Flag names for error messages.
#include "dist/flags.h"

#include <array>
#include <cstdio>
#include <string_view>
#include <utility>

namespace beamlink::dist {

std::string flag_names(uint64_t flags) {
  static constexpr std::array<std::pair<uint64_t, std::string_view>, 31> kNames{{
      {DFLAG_PUBLISHED, "PUBLISHED"},
      {DFLAG_ATOM_CACHE, "ATOM_CACHE"},
      {DFLAG_EXTENDED_REFERENCES, "EXTENDED_REFERENCES"},
      {DFLAG_DIST_MONITOR, "DIST_MONITOR"},
      {DFLAG_FUN_TAGS, "FUN_TAGS"},
      {DFLAG_DIST_MONITOR_NAME, "DIST_MONITOR_NAME"},
      {DFLAG_HIDDEN_ATOM_CACHE, "HIDDEN_ATOM_CACHE"},
      {DFLAG_NEW_FUN_TAGS, "NEW_FUN_TAGS"},
      {DFLAG_EXTENDED_PIDS_PORTS, "EXTENDED_PIDS_PORTS"},
      {DFLAG_EXPORT_PTR_TAG, "EXPORT_PTR_TAG"},
      {DFLAG_BIT_BINARIES, "BIT_BINARIES"},
      {DFLAG_NEW_FLOATS, "NEW_FLOATS"},
      {DFLAG_UNICODE_IO, "UNICODE_IO"},
      {DFLAG_DIST_HDR_ATOM_CACHE, "DIST_HDR_ATOM_CACHE"},
      {DFLAG_SMALL_ATOM_TAGS, "SMALL_ATOM_TAGS"},
      {DFLAG_ETS_COMPRESSED, "ETS_COMPRESSED"},
      {DFLAG_UTF8_ATOMS, "UTF8_ATOMS"},
      {DFLAG_MAP_TAG, "MAP_TAG"},
      {DFLAG_BIG_CREATION, "BIG_CREATION"},
      {DFLAG_SEND_SENDER, "SEND_SENDER"},
      {DFLAG_BIG_SEQTRACE_LABELS, "BIG_SEQTRACE_LABELS"},
      {DFLAG_PENDING_CONNECT, "PENDING_CONNECT"},
      {DFLAG_EXIT_PAYLOAD, "EXIT_PAYLOAD"},
      {DFLAG_FRAGMENTS, "FRAGMENTS"},
      {DFLAG_HANDSHAKE_23, "HANDSHAKE_23"},
      {DFLAG_UNLINK_ID, "UNLINK_ID"},
      {DFLAG_MANDATORY_25_DIGEST, "MANDATORY_25_DIGEST"},
      {DFLAG_SPAWN, "SPAWN"},
      {DFLAG_NAME_ME, "NAME_ME"},
      {DFLAG_V4_NC, "V4_NC"},
      {DFLAG_ALIAS, "ALIAS"},
  }};
  std::string text;
  uint64_t rest = flags;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!text.empty()) text += '|';
    text += "DFLAG_";
    text += name;
    rest &= ~bit;
  }
  if (rest != 0) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(rest));
    if (!text.empty()) text += '|';
    text += hex;
  }
  return text;
}

}  // namespace beamlink::dist
