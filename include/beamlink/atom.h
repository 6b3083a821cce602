// beamlink/atom.h - atoms, interned in one process-wide table.
//
// Atom is a handle to its text (one pointer). `atom.name` is an AtomName,
// which reads like a const std::string: it converts to const std::string&
// and std::string_view, compares with ==, <=> against strings and other
// names, and concatenates with +.
//
// Contract:
//  * One table per process, shared by every node and thread. Looking up an
//    atom already in the table takes no lock (open addressing over arrays
//    published with release stores; a reader never waits for a writer).
//    Adding an atom takes the lock of one of 16 shards.
//  * Two interned atoms are equal exactly when their handles are: == on
//    interned atoms is one pointer compare. Order (<=>) is Erlang's atom
//    order: by text (bytewise UTF-8, which is code point order).
//  * The table holds at most atom_table_limit() atoms (default 1,048,576,
//    Erlang's default atom limit). Erlang stops the node when its table
//    fills; here an atom made past the limit is kept outside the table
//    ("uninterned"): reference counted, freed with its last handle, and
//    still equal (by text) to any other atom with the same text, with the
//    same hash and order. So untrusted input can make at most `limit`
//    atoms live for the process's lifetime; what it adds past that is freed
//    when it is no longer used. The table's atoms are never freed.
//  * The table also pins at most atom_table_byte_limit() bytes (default
//    64 MiB, counting each entry, its text and its slots), so a million
//    long atoms cannot pin a gigabyte; an atom past it is uninterned as
//    above. A text longer than any atom the wire can carry (1,020 bytes)
//    is never interned.
//  * An atom's text is any byte string; wire_valid() tells whether it is
//    valid UTF-8 of at most 255 code points (what the external term format
//    allows), computed once when the atom is made.
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace beamlink {

namespace detail {
struct AtomEntry {
  std::string text;
  uint64_t hash = 0;  // atom_hash(text)
  bool wire_valid = true;
  mutable std::atomic<uint32_t> refs{1};  // uninterned entries only
};
// The empty atom '', there before any table (static Atoms may be made
// before main).
inline constinit const AtomEntry kEmptyAtom{};
uint64_t atom_hash(std::string_view text) noexcept;  // 0 for ""
}  // namespace detail

class AtomName {
 public:
  AtomName() noexcept : bits_(empty_bits()) {}  // the empty atom ''
  explicit AtomName(std::string_view text);
  AtomName(const AtomName& o) noexcept : bits_(o.bits_) { retain(); }
  AtomName(AtomName&& o) noexcept : bits_(o.bits_) { o.bits_ = empty_bits(); }
  AtomName& operator=(const AtomName& o) noexcept {
    if (bits_ != o.bits_) {
      o.retain();
      release();
      bits_ = o.bits_;
    }
    return *this;
  }
  AtomName& operator=(AtomName&& o) noexcept {
    if (this != &o) {
      release();
      bits_ = o.bits_;
      o.bits_ = empty_bits();
    }
    return *this;
  }
  AtomName& operator=(std::string_view text) { return *this = AtomName(text); }
  ~AtomName() { release(); }

  const std::string& str() const noexcept { return entry()->text; }
  operator const std::string&() const noexcept { return str(); }
  operator std::string_view() const noexcept { return str(); }

  const char* data() const noexcept { return str().data(); }
  const char* c_str() const noexcept { return str().c_str(); }
  size_t size() const noexcept { return str().size(); }
  size_t length() const noexcept { return str().size(); }
  bool empty() const noexcept { return str().empty(); }
  auto begin() const noexcept { return str().begin(); }
  auto end() const noexcept { return str().end(); }
  char operator[](size_t i) const noexcept { return str()[i]; }
  char front() const noexcept { return str().front(); }
  char back() const noexcept { return str().back(); }
  size_t find(std::string_view s, size_t pos = 0) const noexcept { return view().find(s, pos); }
  size_t find(char c, size_t pos = 0) const noexcept { return view().find(c, pos); }
  size_t rfind(char c, size_t pos = std::string::npos) const noexcept {
    return view().rfind(c, pos);
  }
  std::string substr(size_t pos = 0, size_t n = std::string::npos) const {
    return str().substr(pos, n);
  }
  bool starts_with(std::string_view s) const noexcept { return view().starts_with(s); }
  bool ends_with(std::string_view s) const noexcept { return view().ends_with(s); }
  std::string_view view() const noexcept { return str(); }

  // In the table (false: made past the limit; see the contract).
  bool interned() const noexcept { return (bits_ & kOwned) == 0; }
  bool wire_valid() const noexcept { return entry()->wire_valid; }
  uint64_t hash() const noexcept { return entry()->hash; }

  friend bool operator==(const AtomName& a, const AtomName& b) noexcept {
    return a.bits_ == b.bits_ || (((a.bits_ | b.bits_) & kOwned) != 0 && a.str() == b.str());
  }
  friend bool operator==(const AtomName& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const AtomName& a, const char* b) noexcept { return a.view() == b; }
  friend bool operator==(const AtomName& a, const std::string& b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const AtomName& a, const AtomName& b) noexcept {
    if (a.bits_ == b.bits_) return std::strong_ordering::equal;
    return a.view() <=> b.view();
  }
  friend std::strong_ordering operator<=>(const AtomName& a, std::string_view b) noexcept {
    return a.view() <=> b;
  }
  friend std::strong_ordering operator<=>(const AtomName& a, const char* b) noexcept {
    return a.view() <=> std::string_view(b);
  }
  friend std::strong_ordering operator<=>(const AtomName& a, const std::string& b) noexcept {
    return a.view() <=> std::string_view(b);
  }
  friend std::string operator+(const AtomName& a, std::string_view b) {
    return concat(a.view(), b);
  }
  friend std::string operator+(std::string_view a, const AtomName& b) {
    return concat(a, b.view());
  }
  friend std::string operator+(const AtomName& a, const char* b) { return concat(a.view(), b); }
  friend std::string operator+(const char* a, const AtomName& b) { return concat(a, b.view()); }
  friend std::string operator+(const AtomName& a, const std::string& b) {
    return concat(a.view(), b);
  }
  friend std::string operator+(const std::string& a, const AtomName& b) {
    return concat(a, b.view());
  }
  friend std::string operator+(std::string&& a, const AtomName& b) {
    return std::move(a.append(b.view()));
  }
  friend std::string operator+(const AtomName& a, const AtomName& b) {
    return concat(a.view(), b.view());
  }
  friend std::string operator+(const AtomName& a, char b) { return a.str() + b; }
  friend std::string operator+(char a, const AtomName& b) { return a + b.str(); }
  friend std::ostream& operator<<(std::ostream& os, const AtomName& a);

  // Looks `text` up without adding it: true and the interned atom in `out`
  // when the table has it (decoders use it to skip copying the text).
  static bool lookup(std::string_view text, AtomName& out) noexcept;

 private:
  static constexpr uintptr_t kOwned = 1;
  static uintptr_t empty_bits() noexcept {
    return reinterpret_cast<uintptr_t>(&detail::kEmptyAtom);
  }
  explicit AtomName(uintptr_t bits) noexcept : bits_(bits) {}
  const detail::AtomEntry* entry() const noexcept {
    return reinterpret_cast<const detail::AtomEntry*>(bits_ & ~kOwned);
  }
  void retain() const noexcept {
    if ((bits_ & kOwned) != 0) entry()->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if ((bits_ & kOwned) != 0) release_owned();
  }
  void release_owned() noexcept;
  static std::string concat(std::string_view a, std::string_view b);

  uintptr_t bits_;
};

struct Atom {
  AtomName name;  // UTF-8, at most 255 code points on the wire

  Atom() = default;
  explicit Atom(std::string_view n) : name(n) {}
  explicit Atom(const std::string& n) : name(n) {}
  explicit Atom(const char* n) : name(std::string_view(n)) {}
  explicit Atom(AtomName n) noexcept : name(std::move(n)) {}
  bool operator==(const Atom&) const = default;
  std::strong_ordering operator<=>(const Atom& o) const { return name <=> o.name; }
};

// The process-wide atom table (see the contract above).
struct AtomTableStats {
  size_t interned = 0;           // atoms in the table
  size_t limit = 0;              // atom_table_limit()
  size_t bytes = 0;              // what the table's atoms pin
  size_t byte_limit = 0;         // atom_table_byte_limit()
  uint64_t made_uninterned = 0;  // atoms made past the limit, ever
  uint64_t uninterned_live = 0;  // ... of them not yet freed
};
AtomTableStats atom_table_stats();
size_t atom_table_limit();
// Atoms already in the table stay; a lower limit only stops new ones.
void set_atom_table_limit(size_t limit);
size_t atom_table_byte_limit();
// As for the count: a lower byte limit only stops new atoms.
void set_atom_table_byte_limit(size_t bytes);

}  // namespace beamlink

template <>
struct std::hash<beamlink::AtomName> {
  size_t operator()(const beamlink::AtomName& a) const noexcept { return a.hash(); }
};
template <>
struct std::hash<beamlink::Atom> {
  size_t operator()(const beamlink::Atom& a) const noexcept { return a.name.hash(); }
};
