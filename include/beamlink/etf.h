// beamlink/etf.h - External Term Format (ETF) encoding and decoding.
//
// Pure functions over bytes: no I/O, no global state, safe to call from any
// thread. Layouts follow OTP's erl_ext_dist guide.
//
// Decoding contract:
//  * Input is untrusted. The decoder never reads out of bounds, never
//    recurses without bound and never allocates more than the declared
//    limits allow; every declared length is checked against the bytes that
//    remain before anything is allocated.
//  * A failure returns Errc::malformed (bad layout), Errc::limit_exceeded
//    (over a DecodeLimits bound) or Errc::unsupported (a tag beamlink does not
//    handle), with a message naming the tag and the byte offset, e.g.
//    "ETF SMALL_TUPLE_EXT (104) at offset 7: truncated: need 1 byte, 0 left".
//  * Binaries: BinaryMode::copy copies payloads; BinaryMode::borrow makes
//    binaries view the input (REQUIRES: the input outlives the term);
//    decode_shared aliases a shared buffer so views keep it alive.
//
// Encoding follows what OTP 25-27's term_to_binary emits, so a term decoded
// from erl re-encodes to the same bytes (maps over 32 keys excepted: OTP
// writes those in hash order).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink::etf {

// Wire tags, named as in erl_ext_dist.
inline constexpr uint8_t VERSION_MAGIC = 131;
inline constexpr uint8_t COMPRESSED = 80;
inline constexpr uint8_t DIST_HEADER = 68;
inline constexpr uint8_t DIST_FRAG_HEADER = 69;
inline constexpr uint8_t DIST_FRAG_CONT = 70;
inline constexpr uint8_t PASS_THROUGH = 112;
inline constexpr uint8_t NEW_FLOAT_EXT = 70;
inline constexpr uint8_t BIT_BINARY_EXT = 77;
inline constexpr uint8_t ATOM_CACHE_REF = 82;
inline constexpr uint8_t NEW_PID_EXT = 88;
inline constexpr uint8_t NEW_PORT_EXT = 89;
inline constexpr uint8_t NEWER_REFERENCE_EXT = 90;
inline constexpr uint8_t SMALL_INTEGER_EXT = 97;
inline constexpr uint8_t INTEGER_EXT = 98;
inline constexpr uint8_t FLOAT_EXT = 99;
inline constexpr uint8_t ATOM_EXT = 100;
inline constexpr uint8_t REFERENCE_EXT = 101;
inline constexpr uint8_t PORT_EXT = 102;
inline constexpr uint8_t PID_EXT = 103;
inline constexpr uint8_t SMALL_TUPLE_EXT = 104;
inline constexpr uint8_t LARGE_TUPLE_EXT = 105;
inline constexpr uint8_t NIL_EXT = 106;
inline constexpr uint8_t STRING_EXT = 107;
inline constexpr uint8_t LIST_EXT = 108;
inline constexpr uint8_t BINARY_EXT = 109;
inline constexpr uint8_t SMALL_BIG_EXT = 110;
inline constexpr uint8_t LARGE_BIG_EXT = 111;
inline constexpr uint8_t NEW_FUN_EXT = 112;
inline constexpr uint8_t EXPORT_EXT = 113;
inline constexpr uint8_t NEW_REFERENCE_EXT = 114;
inline constexpr uint8_t SMALL_ATOM_EXT = 115;
inline constexpr uint8_t MAP_EXT = 116;
inline constexpr uint8_t ATOM_UTF8_EXT = 118;
inline constexpr uint8_t SMALL_ATOM_UTF8_EXT = 119;
inline constexpr uint8_t V4_PORT_EXT = 120;
inline constexpr uint8_t LOCAL_EXT = 121;

// "SMALL_TUPLE_EXT" for 104, "tag 200" for unknown tags.
std::string tag_name(uint8_t tag);

struct DecodeLimits {
  size_t max_depth = 1000;              // nesting of tuples, lists, maps, funs
  size_t max_terms = 16 * 1024 * 1024;  // total terms in one decode
  size_t max_size = 256u << 20;         // bytes of input, after decompression
};

enum class BinaryMode { copy, borrow };

// The atoms a distribution header made available to the terms after it;
// ATOM_CACHE_REF index i names atoms[i]. See atom_cache.h.
struct AtomRefTable {
  std::vector<Atom> atoms;
};

struct DecodeOptions {
  DecodeLimits limits;
  BinaryMode binaries = BinaryMode::copy;
  // Needed only for terms that follow a distribution header; without it an
  // ATOM_CACHE_REF is malformed input.
  const AtomRefTable* atom_refs = nullptr;
};

// Decodes a whole external term: 131 followed by a term or by a compressed
// term (131, 80). Trailing bytes are an error.
Result<Term> decode(std::span<const uint8_t> data, const DecodeOptions& options = {});

// Same, but binaries alias `buffer` (kept alive by the returned terms).
Result<Term> decode_shared(std::shared_ptr<const std::vector<uint8_t>> buffer,
                           DecodeOptions options = {});

struct Decoded {
  Term term;
  size_t consumed = 0;  // bytes of input used
};

// Decodes one term at the start of `data` without a version byte (as terms
// follow a distribution header) and reports how many bytes it used.
Result<Decoded> decode_one(std::span<const uint8_t> data, const DecodeOptions& options = {});

// Maps atoms to ATOM_CACHE_REF indexes while encoding after a distribution
// header. Built by atom_cache.h's OutgoingAtomCache.
class AtomRefIndex {
 public:
  virtual ~AtomRefIndex() = default;
  // Index 0..254 in the header, or -1 if the atom is written in full.
  virtual int lookup(const Atom& atom) const = 0;
};

struct EncodeOptions {
  bool compress = false;      // 131, 80, size, zlib data (as term_to_binary(T, [compressed]))
  int compression_level = 6;  // 0..9, zlib's
  bool version = true;        // write the 131 prefix
  const AtomRefIndex* atom_refs = nullptr;
};

// Appends the encoding of `term` to `out`. Fails (Errc::invalid_argument)
// only for terms ETF cannot express, e.g. an atom over 255 code points or a
// Reference with 0 or more than 5 id words.
Result<void> encode_to(std::vector<uint8_t>& out, const Term& term,
                       const EncodeOptions& options = {});
Result<std::vector<uint8_t>> encode(const Term& term, const EncodeOptions& options = {});

// Exact number of bytes encode_to would append without compression, for
// reserving buffers before encoding.
size_t encoded_size(const Term& term, const EncodeOptions& options = {});

}  // namespace beamlink::etf
