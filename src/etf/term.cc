// Term construction and normalisation (see beamlink/term.h for the
// invariants kept here: int64 when it fits, [] as an empty List, no List as
// a List's tail, sorted unique Map keys, whole-byte bit strings as Binary).
#include "beamlink/term.h"

#include <algorithm>
#include <limits>

namespace beamlink {
namespace {

// Little-endian magnitude of v, no trailing zero bytes.
std::vector<uint8_t> magnitude_of(uint64_t v) {
  std::vector<uint8_t> out;
  while (v != 0) {
    out.push_back(static_cast<uint8_t>(v & 0xff));
    v >>= 8;
  }
  return out;
}

}  // namespace

Term::Term(uint64_t v) {
  if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    value_ = static_cast<int64_t>(v);
  } else {
    value_ = BigInt{false, magnitude_of(v)};
  }
}

Term::Term(BigInt v) {
  while (!v.magnitude.empty() && v.magnitude.back() == 0) v.magnitude.pop_back();
  if (v.magnitude.size() <= 8) {
    uint64_t m = 0;
    for (size_t i = v.magnitude.size(); i-- > 0;) m = (m << 8) | v.magnitude[i];
    constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!v.negative && m <= kMaxPositive) {
      value_ = static_cast<int64_t>(m);
      return;
    }
    if (v.negative && m <= kMaxPositive + 1) {
      value_ =
          m == kMaxPositive + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(m);
      return;
    }
  }
  value_ = std::move(v);
}

Term::Term(List v) {
  if (v.tail) {
    if (v.tail->is<List>()) {
      // [a | [b | T]] is [a, b | T]: keep the tail from ever being a List.
      const List& rest = v.tail->as<List>();
      v.elements.insert(v.elements.end(), rest.elements.begin(), rest.elements.end());
      v.tail = rest.tail;
    }
    if (v.elements.empty() && v.tail) {
      Term tail = *v.tail;
      value_ = std::move(tail.value_);
      return;
    }
  }
  value_ = std::move(v);
}

Term::Term(BitString v) {
  if (v.bits == 0 || v.bits >= 8) {
    value_ = Binary{std::move(v.bytes)};
  } else {
    value_ = std::move(v);
  }
}

Term Term::improper_list(std::vector<Term> elements, Term tail) {
  if (tail.is_nil()) return list(std::move(elements));
  return Term(List{std::move(elements), std::make_shared<const Term>(std::move(tail))});
}

Term Term::string(std::string_view utf8) {
  std::vector<Term> chars;
  chars.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    auto b = static_cast<uint8_t>(utf8[i]);
    int extra = b < 0x80           ? 0
                : (b >> 5) == 0x6  ? 1
                : (b >> 4) == 0xe  ? 2
                : (b >> 3) == 0x1e ? 3
                                   : -1;
    uint32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1f) : extra == 2 ? (b & 0x0f) : (b & 0x07);
    bool ok = extra >= 0 && i + static_cast<size_t>(extra) < utf8.size();
    for (int k = 1; ok && k <= extra; ++k) {
      auto c = static_cast<uint8_t>(utf8[i + static_cast<size_t>(k)]);
      if ((c & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok) {  // not UTF-8: take the byte as a Latin-1 character
      chars.emplace_back(static_cast<int64_t>(b));
      ++i;
      continue;
    }
    chars.emplace_back(static_cast<int64_t>(cp));
    i += static_cast<size_t>(extra) + 1;
  }
  return list(std::move(chars));
}

bool Term::is_nil() const {
  const List* l = get_if<List>();
  return l != nullptr && l->elements.empty() && !l->tail;
}

bool Term::is_atom(std::string_view name) const {
  const Atom* a = get_if<Atom>();
  return a != nullptr && a->name == name;
}

const Term* Term::element(size_t index) const {
  const Tuple* t = get_if<Tuple>();
  if (t == nullptr || index >= t->elements.size()) return nullptr;
  return &t->elements[index];
}

bool Closure::operator==(const Closure& o) const {
  return arity == o.arity && uniq == o.uniq && index == o.index && module == o.module &&
         old_index == o.old_index && old_uniq == o.old_uniq && pid == o.pid &&
         free_vars == o.free_vars;
}

bool Tuple::operator==(const Tuple& o) const {
  return elements == o.elements;
}

bool List::operator==(const List& o) const {
  if (elements != o.elements) return false;
  if (!tail || !o.tail) return !tail && !o.tail;
  return *tail == *o.tail;
}

bool Map::operator==(const Map& o) const {
  return entries == o.entries;
}

Map Map::from(std::vector<std::pair<Term, Term>> entries) {
  // Decoded maps usually arrive sorted (OTP writes small maps in key order):
  // one pass confirms it and skips the sort.
  bool strictly_sorted = true;
  for (size_t i = 1; i < entries.size() && strictly_sorted; ++i) {
    strictly_sorted = compare(entries[i - 1].first, entries[i].first) < 0;
  }
  if (strictly_sorted) return Map{std::move(entries)};
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return compare(a.first, b.first) < 0; });
  // Keep the last of each run of equal keys, as #{k => 1, k => 2} does.
  std::vector<std::pair<Term, Term>> unique;
  unique.reserve(entries.size());
  for (auto& entry : entries) {
    if (!unique.empty() && unique.back().first == entry.first) {
      unique.back() = std::move(entry);
    } else {
      unique.push_back(std::move(entry));
    }
  }
  return Map{std::move(unique)};
}

const Term* Map::find(const Term& key) const {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), key,
      [](const auto& entry, const Term& k) { return compare(entry.first, k) < 0; });
  if (it == entries.end() || it->first != key) return nullptr;
  return &it->second;
}

}  // namespace beamlink
