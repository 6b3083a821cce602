// etf/atom_cache.h - the per-connection atom cache of the distribution
// header (erl_dist_protocol, "Normal Distribution Header"; erl_ext_dist,
// "Distribution Header").
//
// Wire layout handled here, starting at NumberOfAtomCacheRefs (after 131, 68
// in DIST_HEADER, or after the sequence and fragment ids in
// DIST_FRAG_HEADER):
//   NumberOfAtomCacheRefs:1, then unless it is 0:
//   Flags: N/2+1 bytes of half-byte fields. Ref i's field is the low half of
//     byte i/2 when i is even, the high half when odd: NewCacheEntryFlag (bit
//     3) and SegmentIndex (bits 0-2). Field N carries LongAtoms in bit 0.
//   Per ref: InternalSegmentIndex:1, and for a new entry Length (2 bytes if
//     LongAtoms, else 1) and the UTF-8 AtomText.
// The cache has 8 segments of 256 slots; slot = SegmentIndex * 256 +
// InternalSegmentIndex.
//
// Contract: both classes belong to one connection and one direction; they
// are not thread safe (a connection's reader or writer owns one). The pure
// parse/build functions do no I/O. A malformed header leaves the cache
// unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "beamlink/etf.h"

namespace beamlink::etf {

inline constexpr size_t kAtomCacheSegments = 8;
inline constexpr size_t kAtomCacheSegmentSize = 256;
inline constexpr size_t kAtomCacheSize = kAtomCacheSegments * kAtomCacheSegmentSize;
inline constexpr size_t kMaxAtomCacheRefs = 255;

// Receiving side: what the peer's headers have put in the cache so far.
class AtomCache {
 public:
  struct Header {
    AtomRefTable refs;    // ATOM_CACHE_REF i in the following terms names refs.atoms[i]
    size_t consumed = 0;  // bytes of the header part, from NumberOfAtomCacheRefs on
  };

  // Parses the header part at the start of `data`, applies its new entries
  // and returns the atoms its references name. Offsets in errors are
  // relative to `data`. A reference to a slot never filled is malformed.
  Result<Header> read(std::span<const uint8_t> data);

  // The atom in `slot` (0..2047), or nullptr when the slot is empty.
  const Atom* slot(size_t slot) const;

 private:
  struct Slots {
    std::array<Atom, kAtomCacheSize> atoms;
    std::array<bool, kAtomCacheSize> filled{};
  };
  // Allocated by the first header with a new entry: a connection whose peer
  // never uses the cache (beamlink peers do not) saves its 66 KB, which a
  // 64-node mesh paid 63 times per node, touching every page at connect.
  std::unique_ptr<Slots> slots_;
};

// The AtomRefIndex for one outgoing message: atom -> header reference index.
class MessageAtomRefs final : public AtomRefIndex {
 public:
  int lookup(const Atom& atom) const override;
  size_t size() const { return atoms_.size(); }
  const std::vector<Atom>& atoms() const { return atoms_; }

 private:
  friend class OutgoingAtomCache;
  std::vector<Atom> atoms_;  // atoms_[i] is reference i
  std::unordered_map<Atom, int> index_;
};

// Sending side: mirrors what the peer's AtomCache holds after each header
// this side sent. An atom's slot is picked by a hash of its text.
class OutgoingAtomCache {
 public:
  // Appends the header part for `atoms` (duplicates ignored; only the first
  // 255 distinct atoms get references, the rest are written in full) to
  // `out`, updates the cache, and returns the index to encode terms with.
  // Fails (invalid_argument) for an atom ETF cannot carry.
  Result<MessageAtomRefs> write(std::span<const Atom> atoms, std::vector<uint8_t>& out);

  static size_t slot_for(std::string_view name);

 private:
  std::array<Atom, kAtomCacheSize> atoms_;
  std::array<bool, kAtomCacheSize> filled_{};
};

// Appends the distinct atoms in `term` (including node names of pids, ports
// and references, and fun module/function names) to `out`, in first-seen
// order, stopping at `limit` atoms in `out`.
void collect_atoms(const Term& term, std::vector<Atom>& out, size_t limit = kMaxAtomCacheRefs);

}  // namespace beamlink::etf
