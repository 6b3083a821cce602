// tag_name: the erl_ext_dist name of a wire tag, for error messages.
#include <string>

#include "beamlink/etf.h"

namespace beamlink::etf {

std::string tag_name(uint8_t tag) {
  switch (tag) {
    case VERSION_MAGIC:
      return "VERSION_MAGIC";
    case COMPRESSED:
      return "COMPRESSED";
    case DIST_HEADER:
      return "DIST_HEADER";
    case DIST_FRAG_HEADER:
      return "DIST_FRAG_HEADER";
    case NEW_FLOAT_EXT:
      return "NEW_FLOAT_EXT";  // same value as DIST_FRAG_CONT
    case BIT_BINARY_EXT:
      return "BIT_BINARY_EXT";
    case ATOM_CACHE_REF:
      return "ATOM_CACHE_REF";
    case NEW_PID_EXT:
      return "NEW_PID_EXT";
    case NEW_PORT_EXT:
      return "NEW_PORT_EXT";
    case NEWER_REFERENCE_EXT:
      return "NEWER_REFERENCE_EXT";
    case SMALL_INTEGER_EXT:
      return "SMALL_INTEGER_EXT";
    case INTEGER_EXT:
      return "INTEGER_EXT";
    case FLOAT_EXT:
      return "FLOAT_EXT";
    case ATOM_EXT:
      return "ATOM_EXT";
    case REFERENCE_EXT:
      return "REFERENCE_EXT";
    case PORT_EXT:
      return "PORT_EXT";
    case PID_EXT:
      return "PID_EXT";
    case SMALL_TUPLE_EXT:
      return "SMALL_TUPLE_EXT";
    case LARGE_TUPLE_EXT:
      return "LARGE_TUPLE_EXT";
    case NIL_EXT:
      return "NIL_EXT";
    case STRING_EXT:
      return "STRING_EXT";
    case LIST_EXT:
      return "LIST_EXT";
    case BINARY_EXT:
      return "BINARY_EXT";
    case SMALL_BIG_EXT:
      return "SMALL_BIG_EXT";
    case LARGE_BIG_EXT:
      return "LARGE_BIG_EXT";
    case NEW_FUN_EXT:
      return "NEW_FUN_EXT";  // same value as PASS_THROUGH
    case EXPORT_EXT:
      return "EXPORT_EXT";
    case NEW_REFERENCE_EXT:
      return "NEW_REFERENCE_EXT";
    case SMALL_ATOM_EXT:
      return "SMALL_ATOM_EXT";
    case MAP_EXT:
      return "MAP_EXT";
    case 117:
      return "FUN_EXT";
    case ATOM_UTF8_EXT:
      return "ATOM_UTF8_EXT";
    case SMALL_ATOM_UTF8_EXT:
      return "SMALL_ATOM_UTF8_EXT";
    case V4_PORT_EXT:
      return "V4_PORT_EXT";
    case LOCAL_EXT:
      return "LOCAL_EXT";
  }
  return "tag " + std::to_string(tag);
}

}  // namespace beamlink::etf
