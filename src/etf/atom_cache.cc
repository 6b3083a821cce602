#include "etf/atom_cache.h"

#include <unordered_set>
#include <utility>

#include "etf/reader.h"
#include "etf/utf8.h"

namespace beamlink::etf {

namespace {

constexpr uint8_t kNewEntryFlag = 0x08;
constexpr uint8_t kSegmentMask = 0x07;
constexpr uint8_t kLongAtomsFlag = 0x01;

std::unexpected<Error> header_error(size_t offset, const std::string& what) {
  return fail(Errc::malformed,
              "ETF atom cache header at offset " + std::to_string(offset) + ": " + what);
}

uint8_t half_byte(std::span<const uint8_t> flags, size_t index) {
  uint8_t byte = flags[index / 2];
  return index % 2 == 0 ? (byte & 0x0F) : (byte >> 4);
}

}  // namespace

const Atom* AtomCache::slot(size_t slot) const {
  return slots_ && slot < kAtomCacheSize && slots_->filled[slot] ? &slots_->atoms[slot] : nullptr;
}

Result<AtomCache::Header> AtomCache::read(std::span<const uint8_t> data) {
  Reader in(data);
  uint8_t count;
  if (!in.u8(count)) return header_error(0, "truncated: need NumberOfAtomCacheRefs");
  Header header;
  if (count == 0) {
    header.consumed = in.consumed();
    return header;
  }
  std::span<const uint8_t> flags;
  size_t flag_bytes = count / 2 + 1;
  if (!in.bytes(flag_bytes, flags)) {
    return header_error(1, "truncated: need " + std::to_string(flag_bytes) + " flag bytes, " +
                               std::to_string(in.remaining()) + " left");
  }
  bool long_atoms = (half_byte(flags, count) & kLongAtomsFlag) != 0;
  // New entries are staged and applied only once the whole header parsed.
  std::vector<std::pair<size_t, size_t>> updates;  // slot, index into refs
  header.refs.atoms.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint8_t field = half_byte(flags, i);
    size_t at = in.offset();
    uint8_t internal;
    if (!in.u8(internal)) {
      return header_error(at, "truncated: reference " + std::to_string(i) + " of " +
                                  std::to_string(count) + " is missing");
    }
    size_t slot = (field & kSegmentMask) * kAtomCacheSegmentSize + internal;
    if ((field & kNewEntryFlag) == 0) {
      const Atom* cached = nullptr;
      for (auto it = updates.rbegin(); it != updates.rend() && cached == nullptr; ++it) {
        if (it->first == slot) cached = &header.refs.atoms[it->second];
      }
      if (cached == nullptr) cached = this->slot(slot);
      if (cached == nullptr) {
        return header_error(at, "reference " + std::to_string(i) + " names empty cache slot " +
                                    std::to_string(slot));
      }
      header.refs.atoms.push_back(*cached);
      continue;
    }
    size_t length;
    if (long_atoms) {
      uint16_t n;
      if (!in.u16(n)) return header_error(at, "truncated: need a 2-byte atom length");
      length = n;
    } else {
      uint8_t n;
      if (!in.u8(n)) return header_error(at, "truncated: need a 1-byte atom length");
      length = n;
    }
    std::span<const uint8_t> text;
    if (!in.bytes(length, text)) {
      return header_error(at, "atom text of " + std::to_string(length) + " bytes but only " +
                                  std::to_string(in.remaining()) + " remain");
    }
    std::string_view name(reinterpret_cast<const char*>(text.data()), text.size());
    auto code_points = utf8_code_points(name);
    if (!code_points) return header_error(at, "atom text is not valid UTF-8");
    if (*code_points > 255) return header_error(at, "atom of over 255 characters");
    updates.emplace_back(slot, header.refs.atoms.size());
    header.refs.atoms.emplace_back(name);
  }
  if (!updates.empty() && !slots_) slots_ = std::make_unique<Slots>();
  for (const auto& [slot, index] : updates) {
    slots_->atoms[slot] = header.refs.atoms[index];
    slots_->filled[slot] = true;
  }
  header.consumed = in.consumed();
  return header;
}

int MessageAtomRefs::lookup(const Atom& atom) const {
  auto it = index_.find(atom);
  return it == index_.end() ? -1 : it->second;
}

size_t OutgoingAtomCache::slot_for(std::string_view name) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (char c : name) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  return hash % kAtomCacheSize;
}

Result<MessageAtomRefs> OutgoingAtomCache::write(std::span<const Atom> atoms,
                                                 std::vector<uint8_t>& out) {
  MessageAtomRefs refs;
  refs.atoms_.reserve(std::min(atoms.size(), kMaxAtomCacheRefs));
  for (const Atom& atom : atoms) {
    if (refs.atoms_.size() == kMaxAtomCacheRefs) break;
    if (refs.index_.contains(atom)) continue;
    auto code_points = utf8_code_points(atom.name);
    if (!code_points || *code_points > 255) {
      return fail(Errc::invalid_argument,
                  "atom cache: atom is not valid UTF-8 of at most 255 "
                  "characters");
    }
    refs.index_.emplace(atom, static_cast<int>(refs.atoms_.size()));
    refs.atoms_.push_back(atom);
  }
  size_t count = refs.atoms_.size();
  out.push_back(static_cast<uint8_t>(count));
  if (count == 0) return refs;
  // Decide new vs cached in order, as the receiver will replay them.
  std::vector<size_t> slots(count);
  std::vector<bool> fresh(count);
  bool long_atoms = false;
  for (size_t i = 0; i < count; ++i) {
    const Atom& atom = refs.atoms_[i];
    size_t slot = slot_for(atom.name);
    slots[i] = slot;
    fresh[i] = !filled_[slot] || atoms_[slot] != atom;
    if (fresh[i]) {
      atoms_[slot] = atom;
      filled_[slot] = true;
      long_atoms = long_atoms || atom.name.size() > 255;
    }
  }
  size_t flags_at = out.size();
  out.resize(flags_at + count / 2 + 1, 0);
  auto set_half = [&](size_t index, uint8_t value) {
    out[flags_at + index / 2] |= index % 2 == 0 ? value : static_cast<uint8_t>(value << 4);
  };
  for (size_t i = 0; i < count; ++i) {
    auto segment = static_cast<uint8_t>(slots[i] / kAtomCacheSegmentSize);
    set_half(i, static_cast<uint8_t>(segment | (fresh[i] ? kNewEntryFlag : 0)));
  }
  if (long_atoms) set_half(count, kLongAtomsFlag);
  for (size_t i = 0; i < count; ++i) {
    out.push_back(static_cast<uint8_t>(slots[i] % kAtomCacheSegmentSize));
    if (!fresh[i]) continue;
    const std::string& name = refs.atoms_[i].name;
    if (long_atoms) out.push_back(static_cast<uint8_t>(name.size() >> 8));
    out.push_back(static_cast<uint8_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
  }
  return refs;
}

void collect_atoms(const Term& term, std::vector<Atom>& out, size_t limit) {
  std::unordered_set<std::string> seen;
  for (const Atom& atom : out) seen.insert(atom.name);
  auto add = [&](const Atom& atom) {
    if (out.size() < limit && seen.insert(atom.name).second) out.push_back(atom);
  };
  std::vector<const Term*> stack{&term};
  while (!stack.empty() && out.size() < limit) {
    const Term* t = stack.back();
    stack.pop_back();
    switch (t->type()) {
      case TermType::atom:
        add(t->as<Atom>());
        break;
      case TermType::reference:
        add(t->as<Reference>().node);
        break;
      case TermType::port:
        add(t->as<Port>().node);
        break;
      case TermType::pid:
        add(t->as<Pid>().node);
        break;
      case TermType::export_fun:
        add(t->as<ExportFun>().module);
        add(t->as<ExportFun>().function);
        break;
      case TermType::closure: {
        const Closure& fun = t->as<Closure>();
        add(fun.module);
        add(fun.pid.node);
        for (auto it = fun.free_vars.rbegin(); it != fun.free_vars.rend(); ++it)
          stack.push_back(&*it);
        break;
      }
      case TermType::tuple: {
        const auto& elements = t->as<Tuple>().elements;
        for (auto it = elements.rbegin(); it != elements.rend(); ++it) stack.push_back(&*it);
        break;
      }
      case TermType::list: {
        const List& list = t->as<List>();
        if (list.tail) stack.push_back(list.tail.get());
        for (auto it = list.elements.rbegin(); it != list.elements.rend(); ++it) {
          stack.push_back(&*it);
        }
        break;
      }
      case TermType::map: {
        const auto& entries = t->as<Map>().entries;
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
          stack.push_back(&it->second);
          stack.push_back(&it->first);
        }
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace beamlink::etf
