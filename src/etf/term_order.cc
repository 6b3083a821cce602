// Erlang's term order, made total and consistent with exact equality.
//
// number < atom < reference < fun < port < pid < tuple < map < [] < list
// < bit string. Numbers compare by value; an integer equal in value to a
// float sorts before it. Lists compare as chains of cons cells, so an
// improper tail is compared against the rest of the other list.
#include <cmath>
#include <cstring>
#include <limits>

#include "beamlink/term.h"

namespace beamlink {
namespace {

using Ord = std::strong_ordering;

int kind_rank(const Term& t) {
  switch (t.type()) {
    case TermType::integer:
    case TermType::big_integer:
    case TermType::floating:
      return 0;
    case TermType::atom:
      return 1;
    case TermType::reference:
      return 2;
    case TermType::closure:
    case TermType::export_fun:
      return 3;
    case TermType::port:
      return 4;
    case TermType::pid:
      return 5;
    case TermType::tuple:
      return 6;
    case TermType::map:
      return 7;
    case TermType::list:
      return t.is_nil() ? 8 : 9;
    case TermType::binary:
    case TermType::bit_string:
      return 10;
  }
  return 11;
}

Ord from_int(int c) {
  return c < 0 ? Ord::less : c > 0 ? Ord::greater : Ord::equal;
}

Ord compare_double(double a, double b) {
  if (a < b) return Ord::less;
  if (a > b) return Ord::greater;
  return Ord::equal;
}

// Exact comparison of an int64 with a finite double.
Ord compare_int_double(int64_t i, double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) return Ord::less;
  if (d < -kTwo63) return Ord::greater;
  double whole = std::trunc(d);
  auto t = static_cast<int64_t>(whole);
  if (i != t) return i <=> t;
  if (d > whole) return Ord::less;
  if (d < whole) return Ord::greater;
  return Ord::less;  // equal value: the integer sorts first
}

Ord compare_big(const BigInt& a, const BigInt& b) {
  if (a.negative != b.negative) return a.negative ? Ord::less : Ord::greater;
  Ord mag = a.magnitude.size() <=> b.magnitude.size();
  if (mag == Ord::equal) {
    for (size_t i = a.magnitude.size(); i-- > 0;) {
      mag = a.magnitude[i] <=> b.magnitude[i];
      if (mag != Ord::equal) break;
    }
  }
  if (a.negative) return 0 <=> mag;  // larger magnitude is smaller when negative
  return mag;
}

Ord compare_numbers(const Term& a, const Term& b) {
  if (const auto* ai = a.get_if<int64_t>()) {
    if (const auto* bi = b.get_if<int64_t>()) return *ai <=> *bi;
    if (const auto* bb = b.get_if<BigInt>()) return bb->negative ? Ord::greater : Ord::less;
    return compare_int_double(*ai, b.as<double>());
  }
  if (const auto* ab = a.get_if<BigInt>()) {
    if (b.is<int64_t>()) return ab->negative ? Ord::less : Ord::greater;
    if (const auto* bb = b.get_if<BigInt>()) return compare_big(*ab, *bb);
    Ord c = compare_double(ab->to_double(), b.as<double>());
    return c == Ord::equal ? Ord::less : c;
  }
  double ad = a.as<double>();
  if (b.is<double>()) return compare_double(ad, b.as<double>());
  return 0 <=> compare_numbers(b, a);
}

Ord compare_atoms(const Atom& a, const Atom& b) {
  return a.name <=> b.name;
}

template <class Seq>
Ord compare_sequences(const Seq& a, const Seq& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    Ord c = compare(a[i], b[i]);
    if (c != Ord::equal) return c;
  }
  return a.size() <=> b.size();
}

// Tuples compare by size first, then element by element.
Ord compare_tuples(const Tuple& a, const Tuple& b) {
  if (Ord c = a.elements.size() <=> b.elements.size(); c != Ord::equal) return c;
  return compare_sequences(a.elements, b.elements);
}

Ord compare_refs(const Reference& a, const Reference& b) {
  if (Ord c = compare_atoms(a.node, b.node); c != Ord::equal) return c;
  if (Ord c = a.ids.size() <=> b.ids.size(); c != Ord::equal) return c;
  for (size_t i = a.ids.size(); i-- > 0;) {  // the last word is the most significant
    if (Ord c = a.ids[i] <=> b.ids[i]; c != Ord::equal) return c;
  }
  return a.creation <=> b.creation;
}

// As OTP 25 orders them (checked against erl): serial, then number, then
// node name; global's lock ids ({global, lists:sort([PidA, PidB])}) need
// both sides to agree.
Ord compare_pids(const Pid& a, const Pid& b) {
  if (Ord c = a.serial <=> b.serial; c != Ord::equal) return c;
  if (Ord c = a.id <=> b.id; c != Ord::equal) return c;
  if (Ord c = compare_atoms(a.node, b.node); c != Ord::equal) return c;
  return a.creation <=> b.creation;
}

Ord compare_ports(const Port& a, const Port& b) {
  if (Ord c = compare_atoms(a.node, b.node); c != Ord::equal) return c;
  if (Ord c = a.id <=> b.id; c != Ord::equal) return c;
  return a.creation <=> b.creation;
}

Ord compare_funs(const Term& a, const Term& b) {
  // Closures sort before export funs; within a kind, by their identity.
  if (a.is<Closure>() != b.is<Closure>()) return a.is<Closure>() ? Ord::less : Ord::greater;
  if (a.is<ExportFun>()) {
    const auto& x = a.as<ExportFun>();
    const auto& y = b.as<ExportFun>();
    if (Ord c = compare_atoms(x.module, y.module); c != Ord::equal) return c;
    if (Ord c = compare_atoms(x.function, y.function); c != Ord::equal) return c;
    return x.arity <=> y.arity;
  }
  const auto& x = a.as<Closure>();
  const auto& y = b.as<Closure>();
  if (Ord c = compare_atoms(x.module, y.module); c != Ord::equal) return c;
  if (Ord c = x.index <=> y.index; c != Ord::equal) return c;
  if (Ord c = from_int(std::memcmp(x.uniq.data(), y.uniq.data(), x.uniq.size())); c != Ord::equal)
    return c;
  if (Ord c = x.arity <=> y.arity; c != Ord::equal) return c;
  if (Ord c = x.old_index <=> y.old_index; c != Ord::equal) return c;
  if (Ord c = x.old_uniq <=> y.old_uniq; c != Ord::equal) return c;
  if (Ord c = compare_pids(x.pid, y.pid); c != Ord::equal) return c;
  return compare_sequences(x.free_vars, y.free_vars);
}

Ord compare_maps(const Map& a, const Map& b) {
  if (Ord c = a.entries.size() <=> b.entries.size(); c != Ord::equal) return c;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (Ord c = compare(a.entries[i].first, b.entries[i].first); c != Ord::equal) return c;
  }
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (Ord c = compare(a.entries[i].second, b.entries[i].second); c != Ord::equal) return c;
  }
  return Ord::equal;
}

// The list [elements[from..] | tail] as a Term, for comparing against a tail.
Term rest_of(const List& l, size_t from) {
  std::vector<Term> rest(l.elements.begin() + static_cast<std::ptrdiff_t>(from), l.elements.end());
  return l.tail ? Term::improper_list(std::move(rest), *l.tail) : Term::list(std::move(rest));
}

Ord compare_lists(const List& a, const List& b) {
  size_t n = std::min(a.elements.size(), b.elements.size());
  for (size_t i = 0; i < n; ++i) {
    if (Ord c = compare(a.elements[i], b.elements[i]); c != Ord::equal) return c;
  }
  const Term nil;
  if (a.elements.size() == b.elements.size()) {
    return compare(a.tail ? *a.tail : nil, b.tail ? *b.tail : nil);
  }
  if (a.elements.size() < b.elements.size()) return compare(a.tail ? *a.tail : nil, rest_of(b, n));
  return compare(rest_of(a, n), b.tail ? *b.tail : nil);
}

struct BitView {
  std::span<const uint8_t> bytes;
  uint64_t bits;
};

BitView bits_of(const Term& t) {
  if (const auto* b = t.get_if<Binary>()) return {b->bytes.span(), b->bytes.size() * 8};
  const auto& s = t.as<BitString>();
  uint64_t bits = s.bytes.empty() ? 0 : (s.bytes.size() - 1) * 8 + s.bits;
  return {s.bytes.span(), bits};
}

// Unused low bits of a bit string's last byte are zero, so comparing the
// common bytes and then the bit length orders bit strings bit by bit.
Ord compare_bits(const Term& a, const Term& b) {
  BitView x = bits_of(a);
  BitView y = bits_of(b);
  size_t common = std::min(x.bytes.size(), y.bytes.size());
  if (common != 0) {
    if (Ord c = from_int(std::memcmp(x.bytes.data(), y.bytes.data(), common)); c != Ord::equal)
      return c;
  }
  return x.bits <=> y.bits;
}

}  // namespace

std::strong_ordering compare(const Term& a, const Term& b) {
  int ra = kind_rank(a);
  int rb = kind_rank(b);
  if (ra != rb) return ra <=> rb;
  switch (ra) {
    case 0:
      return compare_numbers(a, b);
    case 1:
      return compare_atoms(a.as<Atom>(), b.as<Atom>());
    case 2:
      return compare_refs(a.as<Reference>(), b.as<Reference>());
    case 3:
      return compare_funs(a, b);
    case 4:
      return compare_ports(a.as<Port>(), b.as<Port>());
    case 5:
      return compare_pids(a.as<Pid>(), b.as<Pid>());
    case 6:
      return compare_tuples(a.as<Tuple>(), b.as<Tuple>());
    case 7:
      return compare_maps(a.as<Map>(), b.as<Map>());
    case 8:
      return Ord::equal;
    case 9:
      return compare_lists(a.as<List>(), b.as<List>());
    default:
      return compare_bits(a, b);
  }
}

std::strong_ordering operator<=>(const Term& a, const Term& b) {
  return compare(a, b);
}

}  // namespace beamlink
