// The process-wide atom table; see beamlink/atom.h.
//
// 16 shards, chosen by the hash's top bits. A shard is an open-addressing
// array of entry pointers (linear probing, at most half full). Readers load
// the shard's current array (acquire) and probe it without a lock; slots
// are filled with release stores, so a reader that sees a pointer sees the
// entry. A writer takes the shard's mutex, looks again, and adds the entry;
// when the array would pass half full it publishes a doubled copy. Old
// arrays are kept (a reader may still be probing one): together they are
// smaller than the current one. A reader on an old array may miss an atom
// added since; it then takes the writer's path, which finds it.
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <ostream>
#include <vector>

#include "beamlink/atom.h"
#include "etf/utf8.h"

namespace beamlink {
namespace {

constexpr size_t kShardBits = 4;
constexpr size_t kShards = size_t{1} << kShardBits;
constexpr size_t kInitialSlots = 64;
constexpr size_t kDefaultLimit = size_t{1} << 20;
constexpr size_t kDefaultByteLimit = size_t{64} << 20;
// No atom the wire can carry is longer (255 code points of up to 4 bytes);
// longer texts are made locally, and stay out of the table.
constexpr size_t kMaxInternedText = 255 * 4;
constexpr size_t kMaxWireCodePoints = 255;

using Entry = detail::AtomEntry;

struct Slots {
  explicit Slots(size_t n) : mask(n - 1), items(new std::atomic<const Entry*>[n]) {
    for (size_t i = 0; i < n; ++i) items[i].store(nullptr, std::memory_order_relaxed);
  }
  size_t mask;
  std::unique_ptr<std::atomic<const Entry*>[]> items;
};

struct Shard {
  std::atomic<Slots*> slots{nullptr};
  std::mutex mutex;
  size_t count = 0;                                   // under mutex
  std::vector<std::unique_ptr<Slots>> arrays;         // current and retired
  std::vector<std::unique_ptr<const Entry>> entries;  // owned forever
};

struct Table {
  std::array<Shard, kShards> shards;
  std::atomic<size_t> count{0};
  std::atomic<size_t> limit{kDefaultLimit};
  std::atomic<size_t> bytes{0};
  std::atomic<size_t> byte_limit{kDefaultByteLimit};
  std::atomic<uint64_t> uninterned{0};
  std::atomic<uint64_t> uninterned_live{0};

  Table() {
    for (auto& shard : shards) {
      shard.arrays.push_back(std::make_unique<Slots>(kInitialSlots));
      shard.slots.store(shard.arrays.back().get(), std::memory_order_release);
    }
  }
};

// Never destroyed: atoms in static objects outlive any destruction order.
Table& table() {
  static Table* t = new Table();
  return *t;
}

Shard& shard_of(Table& t, uint64_t hash) {
  return t.shards[hash >> (64 - kShardBits)];
}

const Entry* probe(const Slots& slots, std::string_view text, uint64_t hash) {
  for (size_t i = hash & slots.mask;; i = (i + 1) & slots.mask) {
    const Entry* e = slots.items[i].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (e->hash == hash && e->text == text) return e;
  }
}

void place(Slots& slots, const Entry* e) {
  size_t i = e->hash & slots.mask;
  while (slots.items[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & slots.mask;
  slots.items[i].store(e, std::memory_order_release);
}

bool valid_on_wire(std::string_view text) {
  auto code_points = etf::utf8_code_points(text);
  return code_points && *code_points <= kMaxWireCodePoints;
}

const Entry* find_entry(std::string_view text, uint64_t hash) {
  if (text.empty()) return &detail::kEmptyAtom;
  Shard& shard = shard_of(table(), hash);
  return probe(*shard.slots.load(std::memory_order_acquire), text, hash);
}

// What an entry pins: the entry, its text, and its slot (at most half
// full, so two slots per entry).
size_t entry_cost(std::string_view text) {
  return sizeof(Entry) + text.size() + 2 * sizeof(std::atomic<const Entry*>);
}

// Takes `amount` from `used` unless that passes `limit`.
bool take(std::atomic<size_t>& used, const std::atomic<size_t>& limit, size_t amount) {
  const size_t cap = limit.load(std::memory_order_relaxed);
  size_t now = used.load(std::memory_order_relaxed);
  do {
    if (now + amount > cap) return false;
  } while (!used.compare_exchange_weak(now, now + amount, std::memory_order_relaxed));
  return true;
}

// The interned entry for `text`, or nullptr when the table is full (by
// count or by bytes) or the text is longer than any atom on the wire.
const Entry* intern(std::string_view text, uint64_t hash) {
  if (text.size() > kMaxInternedText) return nullptr;
  Table& t = table();
  Shard& shard = shard_of(t, hash);
  std::lock_guard lock(shard.mutex);
  Slots* slots = shard.slots.load(std::memory_order_relaxed);
  if (const Entry* e = probe(*slots, text, hash)) return e;
  // The counts only grow and every check of them for one text happens
  // under that text's shard lock after a lookup, so an atom is never made
  // uninterned once the table has it.
  if (!take(t.count, t.limit, 1)) return nullptr;
  if (!take(t.bytes, t.byte_limit, entry_cost(text))) {
    t.count.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  if ((shard.count + 1) * 2 > slots->mask + 1) {
    auto bigger = std::make_unique<Slots>((slots->mask + 1) * 2);
    for (size_t i = 0; i <= slots->mask; ++i) {
      if (const Entry* e = slots->items[i].load(std::memory_order_relaxed)) place(*bigger, e);
    }
    slots = bigger.get();
    shard.arrays.push_back(std::move(bigger));
    shard.slots.store(slots, std::memory_order_release);
  }
  auto entry = std::make_unique<Entry>();
  entry->text.assign(text);
  entry->hash = hash;
  entry->wire_valid = valid_on_wire(text);
  place(*slots, entry.get());
  ++shard.count;
  shard.entries.push_back(std::move(entry));
  return shard.entries.back().get();
}

}  // namespace

namespace detail {
uint64_t atom_hash(std::string_view text) noexcept {
  if (text.empty()) return 0;
  // Spread std::hash's bits so the top ones (the shard) vary too.
  uint64_t h = std::hash<std::string_view>{}(text);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}
}  // namespace detail

AtomName::AtomName(std::string_view text) : bits_(empty_bits()) {
  if (text.empty()) return;
  const uint64_t hash = detail::atom_hash(text);
  const Entry* e = find_entry(text, hash);
  if (e == nullptr) e = intern(text, hash);
  if (e != nullptr) {
    bits_ = reinterpret_cast<uintptr_t>(e);
    return;
  }
  auto* owned = new Entry();
  owned->text.assign(text);
  owned->hash = hash;
  owned->wire_valid = valid_on_wire(text);
  table().uninterned.fetch_add(1, std::memory_order_relaxed);
  table().uninterned_live.fetch_add(1, std::memory_order_relaxed);
  bits_ = reinterpret_cast<uintptr_t>(owned) | kOwned;
}

bool AtomName::lookup(std::string_view text, AtomName& out) noexcept {
  const Entry* e = find_entry(text, detail::atom_hash(text));
  if (e == nullptr) return false;
  out = AtomName(reinterpret_cast<uintptr_t>(e));
  return true;
}

void AtomName::release_owned() noexcept {
  const Entry* e = entry();
  if (e->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    table().uninterned_live.fetch_sub(1, std::memory_order_relaxed);
    delete e;
  }
}

std::string AtomName::concat(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}

std::ostream& operator<<(std::ostream& os, const AtomName& a) {
  return os << a.view();
}

AtomTableStats atom_table_stats() {
  Table& t = table();
  return {t.count.load(std::memory_order_relaxed),
          t.limit.load(std::memory_order_relaxed),
          t.bytes.load(std::memory_order_relaxed),
          t.byte_limit.load(std::memory_order_relaxed),
          t.uninterned.load(std::memory_order_relaxed),
          t.uninterned_live.load(std::memory_order_relaxed)};
}

size_t atom_table_limit() {
  return table().limit.load(std::memory_order_relaxed);
}

void set_atom_table_limit(size_t limit) {
  table().limit.store(limit, std::memory_order_relaxed);
}

size_t atom_table_byte_limit() {
  return table().byte_limit.load(std::memory_order_relaxed);
}

void set_atom_table_byte_limit(size_t bytes) {
  table().byte_limit.store(bytes, std::memory_order_relaxed);
}

}  // namespace beamlink
