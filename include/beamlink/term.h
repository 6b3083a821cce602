// beamlink/term.h - the Erlang term model.
//
// A Term is an immutable-by-convention value holding any Erlang term that
// OTP 25-27 can send: integers (fixed and big), floats, atoms, references,
// funs (export and closure), ports, pids, tuples, maps, lists (proper and
// improper; "strings" are lists of integers), binaries and bit strings.
//
// Contract:
//  * Value semantics. Copying a Term deep-copies containers; binary payloads
//    are shared (Bytes is a cheap handle), never copied on Term copy.
//  * operator== is Erlang's exact equality (=:=): 1 and 1.0 differ.
//  * operator<=> is Erlang's term order, made total and consistent with ==:
//    number < atom < reference < fun < port < pid < tuple < map < [] / list
//    < bit string; numbers compare by value, and where an integer and a float
//    are equal in value the integer sorts first (as OTP 26+ orders map keys).
//  * Integers that fit in int64 are always held as int64_t; BigInt holds only
//    values outside that range (constructors normalise), so equal numbers have
//    one representation.
//  * [] is an empty List with no tail. A List with elements and a non-null
//    tail is improper; the tail is never itself a List.
//  * A Map keeps its entries sorted by key in term order with unique keys.
//  * Thread safety: a const Term may be read from many threads at once.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "beamlink/atom.h"

namespace beamlink {

class Term;

// Bytes: the payload of a binary. Either owns (shared, immutable) storage or
// borrows a span whose owner the caller keeps alive (zero-copy decode).
class Bytes {
 public:
  Bytes() = default;
  static Bytes copy(std::span<const uint8_t> data);
  static Bytes copy(std::string_view text);
  static Bytes take(std::vector<uint8_t>&& data);
  // REQUIRES: data outlives every copy of the returned Bytes.
  static Bytes borrow(std::span<const uint8_t> data);
  // Aliases memory kept alive by owner (e.g. the decode input buffer).
  static Bytes share(std::shared_ptr<const void> owner, std::span<const uint8_t> data);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // True when this handle neither owns nor shares its memory.
  bool borrowed() const { return owner_ == nullptr && size_ != 0; }

  friend bool operator==(const Bytes& a, const Bytes& b);
  friend std::strong_ordering operator<=>(const Bytes& a, const Bytes& b);

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// An integer outside int64_t. magnitude is little-endian base 256 with no
// trailing zero bytes (the ETF SMALL_BIG/LARGE_BIG digit layout).
struct BigInt {
  bool negative = false;
  std::vector<uint8_t> magnitude;

  bool operator==(const BigInt&) const = default;
  // Decimal text, e.g. "-123456789012345678901234567890".
  std::string to_decimal() const;
  // Parses an optionally signed decimal string into a Term (int64 if it fits).
  static std::optional<Term> parse_decimal(std::string_view text);
  // Approximate value (may be +-inf for huge values).
  double to_double() const;
};

struct Pid {
  Atom node;
  uint32_t id = 0;
  uint32_t serial = 0;
  uint32_t creation = 0;
  bool operator==(const Pid&) const = default;
};

struct Port {
  Atom node;
  uint64_t id = 0;
  uint32_t creation = 0;
  bool operator==(const Port&) const = default;
};

struct Reference {
  Atom node;
  uint32_t creation = 0;
  std::vector<uint32_t> ids;  // 1..5 words, as NEWER_REFERENCE_EXT carries
  bool operator==(const Reference&) const = default;
};

// fun Module:Function/Arity (EXPORT_EXT).
struct ExportFun {
  Atom module;
  Atom function;
  uint8_t arity = 0;
  bool operator==(const ExportFun&) const = default;
};

// A closure (NEW_FUN_EXT). beamlink cannot run it; it is kept whole so it
// round-trips to the node that made it.
struct Closure {
  uint8_t arity = 0;
  std::array<uint8_t, 16> uniq{};
  uint32_t index = 0;
  Atom module;
  int64_t old_index = 0;
  int64_t old_uniq = 0;
  Pid pid;
  std::vector<Term> free_vars;
  bool operator==(const Closure& o) const;
};

struct Tuple {
  std::vector<Term> elements;
  bool operator==(const Tuple&) const;
};

struct List {
  std::vector<Term> elements;
  std::shared_ptr<const Term> tail;  // null: proper list ending in []
  bool operator==(const List&) const;
  bool proper() const { return tail == nullptr; }
};

struct Map {
  // Sorted by key in term order, keys unique. Use Map::from to build one.
  std::vector<std::pair<Term, Term>> entries;
  static Map from(std::vector<std::pair<Term, Term>> entries);  // sorts; last duplicate wins
  const Term* find(const Term& key) const;
  bool operator==(const Map&) const;
};

struct Binary {
  Bytes bytes;
  bool operator==(const Binary&) const = default;
};

// A bitstring whose length is not a whole number of bytes: all bits of
// bytes[0..n-2] and the high `bits` bits (1..7) of the last byte. The unused
// low bits of the last byte are zero.
struct BitString {
  Bytes bytes;
  uint8_t bits = 0;
  bool operator==(const BitString&) const = default;
};

enum class TermType : uint8_t {
  integer,      // int64_t
  big_integer,  // BigInt
  floating,     // double
  atom,
  reference,
  export_fun,
  closure,
  port,
  pid,
  tuple,
  map,
  list,  // includes []
  binary,
  bit_string,
};

// Rare, large alternatives live on the heap behind an immutable shared
// pointer so that a Term stays small (56 bytes): copying shares them.
template <class T>
struct Boxed {
  std::shared_ptr<const T> ptr;
  const T& get() const { return *ptr; }
  bool operator==(const Boxed& o) const { return ptr == o.ptr || *ptr == *o.ptr; }
};

namespace detail {
template <class T>
struct Stored {
  using type = T;
};
template <>
struct Stored<Reference> {
  using type = Boxed<Reference>;
};
template <>
struct Stored<ExportFun> {
  using type = Boxed<ExportFun>;
};
template <>
struct Stored<Closure> {
  using type = Boxed<Closure>;
};
template <class T>
const T& unbox(const T& v) {
  return v;
}
template <class T>
const T& unbox(const Boxed<T>& v) {
  return v.get();
}
}  // namespace detail

class Term {
 public:
  // The order of alternatives is the order of TermType. References and funs
  // are Boxed; use is/as/get_if/visit, which unbox them.
  using Value = std::variant<int64_t, BigInt, double, Atom, Boxed<Reference>, Boxed<ExportFun>,
                             Boxed<Closure>, Port, Pid, Tuple, Map, List, Binary, BitString>;

  Term() : value_(List{}) {}  // []
  Term(int v) : value_(int64_t{v}) {}
  Term(int64_t v) : value_(v) {}
  Term(unsigned v) : value_(int64_t{v}) {}
  Term(uint64_t v);
  Term(bool) = delete;         // use Term::boolean: avoids true becoming 1
  Term(const char*) = delete;  // use Term::atom, Term::string or Term::binary
  Term(double v) : value_(v) {}
  Term(BigInt v);  // normalises to int64_t when it fits
  Term(Atom v) : value_(std::move(v)) {}
  Term(Reference v) : value_(Boxed<Reference>{std::make_shared<const Reference>(std::move(v))}) {}
  Term(ExportFun v) : value_(Boxed<ExportFun>{std::make_shared<const ExportFun>(std::move(v))}) {}
  Term(Closure v) : value_(Boxed<Closure>{std::make_shared<const Closure>(std::move(v))}) {}
  Term(Port v) : value_(std::move(v)) {}
  Term(Pid v) : value_(std::move(v)) {}
  Term(Tuple v) : value_(std::move(v)) {}
  Term(Map v) : value_(std::move(v)) {}
  Term(List v);  // normalises an empty list with a tail to the tail
  Term(Binary v) : value_(std::move(v)) {}
  Term(BitString v);  // normalises bits==0/8 to a Binary

  static Term atom(std::string_view name) { return Term(Atom(name)); }
  static Term nil() { return Term(); }
  static Term tuple(std::vector<Term> elements) { return Term(Tuple{std::move(elements)}); }
  static Term list(std::vector<Term> elements) { return Term(List{std::move(elements), nullptr}); }
  static Term improper_list(std::vector<Term> elements, Term tail);
  static Term map(std::vector<std::pair<Term, Term>> entries) {
    return Term(Map::from(std::move(entries)));
  }
  static Term binary(std::string_view bytes) { return Term(Binary{Bytes::copy(bytes)}); }
  static Term binary(std::span<const uint8_t> bytes) { return Term(Binary{Bytes::copy(bytes)}); }
  // "abc" as Erlang's string: the list [97,98,99] of Unicode code points.
  static Term string(std::string_view utf8);
  static Term boolean(bool b) { return atom(b ? "true" : "false"); }

  TermType type() const { return static_cast<TermType>(value_.index()); }
  const Value& value() const { return value_; }

  template <class T>
  bool is() const {
    return std::holds_alternative<typename detail::Stored<T>::type>(value_);
  }
  // REQUIRES: is<T>()
  template <class T>
  const T& as() const {
    return detail::unbox(std::get<typename detail::Stored<T>::type>(value_));
  }
  template <class T>
  const T* get_if() const {
    const auto* stored = std::get_if<typename detail::Stored<T>::type>(&value_);
    return stored == nullptr ? nullptr : &detail::unbox(*stored);
  }
  // Calls f with the held value, unboxed (const int64_t&, const Atom&, const
  // Reference&, ...).
  template <class F>
  decltype(auto) visit(F&& f) const {
    return std::visit([&f](const auto& v) -> decltype(auto) { return f(detail::unbox(v)); },
                      value_);
  }

  bool is_nil() const;
  bool is_atom(std::string_view name) const;
  bool is_number() const { return is<int64_t>() || is<BigInt>() || is<double>(); }
  // Element access for tuples; nullptr when not a tuple or out of range.
  const Term* element(size_t index) const;

  friend bool operator==(const Term& a, const Term& b) { return a.value_ == b.value_; }
  friend std::strong_ordering operator<=>(const Term& a, const Term& b);

 private:
  Value value_;
};

// Erlang's term order; see the contract at the top of this file.
std::strong_ordering compare(const Term& a, const Term& b);

}  // namespace beamlink
