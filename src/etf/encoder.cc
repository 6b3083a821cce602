#include "etf/encoder.h"

#include <bit>
#include <cmath>
#include <string>

#include "etf/utf8.h"

namespace beamlink::etf {

namespace {

constexpr size_t kMaxStringLength = 65535;
constexpr size_t kMaxAtomCodePoints = 255;
constexpr size_t kMaxReferenceWords = 5;

Result<void> invalid(std::string message) {
  return fail(Errc::invalid_argument, "ETF encode: " + std::move(message));
}

}  // namespace

bool is_byte_string(const List& list) {
  if (!list.proper() || list.elements.size() > kMaxStringLength) return false;
  for (const Term& element : list.elements) {
    const int64_t* value = element.get_if<int64_t>();
    if (value == nullptr || *value < 0 || *value > 255) return false;
  }
  return true;
}

template <class Sink>
Result<void> Encoder<Sink>::run(const Term& root) {
  const Term* current = &root;
  for (;;) {
    if (auto started = start(*current); !started) return started;
    current = nullptr;
    while (current == nullptr && !stack_.empty()) {
      EncodeFrame& frame = stack_.back();
      if (frame.next != frame.end) {
        current = frame.next++;
      } else if (frame.pair != frame.pair_end) {
        current = frame.value_next ? &(frame.pair++)->second : &frame.pair->first;
        frame.value_next = !frame.value_next;
      } else if (frame.tail != nullptr) {
        current = frame.tail;
        frame.tail = nullptr;
      } else {
        if (frame.nil) sink_.u8(NIL_EXT);
        if (frame.patch_size) {
          sink_.patch_u32(frame.size_at, static_cast<uint32_t>(sink_.position() - frame.size_at));
        }
        stack_.pop();
      }
    }
    if (current == nullptr) return {};
  }
}

template <class Sink>
Result<void> Encoder<Sink>::start(const Term& term) {
  switch (term.type()) {
    case TermType::integer:
      return integer(term.as<int64_t>());
    case TermType::big_integer:
      return big(term.as<BigInt>());
    case TermType::floating: {
      double value = term.as<double>();
      if (!std::isfinite(value))
        return invalid("float " + std::to_string(value) + " is not finite");
      sink_.u8(NEW_FLOAT_EXT);
      sink_.u64(std::bit_cast<uint64_t>(value));
      return {};
    }
    case TermType::atom:
      return atom(term.as<Atom>());
    case TermType::reference: {
      const Reference& ref = term.as<Reference>();
      if (ref.ids.empty() || ref.ids.size() > kMaxReferenceWords) {
        return invalid("reference with " + std::to_string(ref.ids.size()) +
                       " id words (must be 1 to 5)");
      }
      sink_.u8(NEWER_REFERENCE_EXT);
      sink_.u16(static_cast<uint16_t>(ref.ids.size()));
      if (auto node = atom(ref.node); !node) return node;
      sink_.u32(ref.creation);
      for (uint32_t id : ref.ids) sink_.u32(id);
      return {};
    }
    case TermType::export_fun: {
      const ExportFun& fun = term.as<ExportFun>();
      sink_.u8(EXPORT_EXT);
      if (auto module = atom(fun.module); !module) return module;
      if (auto function = atom(fun.function); !function) return function;
      sink_.u8(SMALL_INTEGER_EXT);
      sink_.u8(fun.arity);
      return {};
    }
    case TermType::closure:
      return closure_header(term.as<Closure>());
    case TermType::port: {
      const Port& port = term.as<Port>();
      bool wide = port.id > UINT32_MAX;
      sink_.u8(wide ? V4_PORT_EXT : NEW_PORT_EXT);
      if (auto node = atom(port.node); !node) return node;
      if (wide) {
        sink_.u64(port.id);
      } else {
        sink_.u32(static_cast<uint32_t>(port.id));
      }
      sink_.u32(port.creation);
      return {};
    }
    case TermType::pid:
      return pid(term.as<Pid>());
    case TermType::tuple: {
      const std::vector<Term>& elements = term.as<Tuple>().elements;
      if (elements.size() <= 255) {
        sink_.u8(SMALL_TUPLE_EXT);
        sink_.u8(static_cast<uint8_t>(elements.size()));
      } else {
        if (elements.size() > UINT32_MAX) return invalid("tuple too large");
        sink_.u8(LARGE_TUPLE_EXT);
        sink_.u32(static_cast<uint32_t>(elements.size()));
      }
      if (!elements.empty()) {
        EncodeFrame& frame = stack_.push();
        frame.next = elements.data();
        frame.end = elements.data() + elements.size();
      }
      return {};
    }
    case TermType::map: {
      const auto& entries = term.as<Map>().entries;
      if (entries.size() > UINT32_MAX) return invalid("map too large");
      sink_.u8(MAP_EXT);
      sink_.u32(static_cast<uint32_t>(entries.size()));
      if (!entries.empty()) {
        EncodeFrame& frame = stack_.push();
        frame.pair = entries.data();
        frame.pair_end = entries.data() + entries.size();
      }
      return {};
    }
    case TermType::list: {
      const List& list = term.as<List>();
      if (list.elements.empty()) {
        // [] (a List with only a tail is not produced by the constructors,
        // but would mean just that tail).
        if (list.tail == nullptr) {
          sink_.u8(NIL_EXT);
          return {};
        }
        return start(*list.tail);
      }
      if (is_byte_string(list)) {
        sink_.u8(STRING_EXT);
        sink_.u16(static_cast<uint16_t>(list.elements.size()));
        for (const Term& element : list.elements) {
          sink_.u8(static_cast<uint8_t>(element.as<int64_t>()));
        }
        return {};
      }
      if (list.elements.size() > UINT32_MAX) return invalid("list too long");
      sink_.u8(LIST_EXT);
      sink_.u32(static_cast<uint32_t>(list.elements.size()));
      EncodeFrame& frame = stack_.push();
      frame.next = list.elements.data();
      frame.end = list.elements.data() + list.elements.size();
      frame.tail = list.tail.get();
      frame.nil = list.tail == nullptr;
      return {};
    }
    case TermType::binary: {
      const Bytes& bytes = term.as<Binary>().bytes;
      if (bytes.size() > UINT32_MAX) return invalid("binary too large");
      sink_.u8(BINARY_EXT);
      sink_.u32(static_cast<uint32_t>(bytes.size()));
      sink_.bytes(bytes.span());
      return {};
    }
    case TermType::bit_string: {
      const BitString& bits = term.as<BitString>();
      if (bits.bits < 1 || bits.bits > 7 || bits.bytes.empty()) {
        return invalid("bit string with " + std::to_string(bits.bits) + " bits in its last byte");
      }
      if (bits.bytes.size() > UINT32_MAX) return invalid("bit string too large");
      sink_.u8(BIT_BINARY_EXT);
      sink_.u32(static_cast<uint32_t>(bits.bytes.size()));
      sink_.u8(bits.bits);
      std::span<const uint8_t> data = bits.bytes.span();
      sink_.bytes(data.first(data.size() - 1));
      // Unused low bits go out as zero whatever the caller left in them.
      sink_.u8(static_cast<uint8_t>(data.back() & (0xFF << (8 - bits.bits))));
      return {};
    }
  }
  return invalid("unknown term type");
}

// As OTP: 0..255 SMALL_INTEGER_EXT, int32 INTEGER_EXT, else SMALL_BIG_EXT
// with the fewest digits.
template <class Sink>
Result<void> Encoder<Sink>::integer(int64_t value) {
  if (value >= 0 && value <= 255) {
    sink_.u8(SMALL_INTEGER_EXT);
    sink_.u8(static_cast<uint8_t>(value));
  } else if (value >= INT32_MIN && value <= INT32_MAX) {
    sink_.u8(INTEGER_EXT);
    sink_.u32(static_cast<uint32_t>(static_cast<int32_t>(value)));
  } else {
    uint64_t magnitude =
        value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    auto digits = static_cast<uint8_t>((std::bit_width(magnitude) + 7) / 8);
    sink_.u8(SMALL_BIG_EXT);
    sink_.u8(digits);
    sink_.u8(value < 0 ? 1 : 0);
    for (uint8_t i = 0; i < digits; ++i) sink_.u8(static_cast<uint8_t>(magnitude >> (8 * i)));
  }
  return {};
}

template <class Sink>
Result<void> Encoder<Sink>::big(const BigInt& value) {
  std::span<const uint8_t> digits(value.magnitude);
  while (!digits.empty() && digits.back() == 0) digits = digits.first(digits.size() - 1);
  if (digits.size() <= 8) {
    // Not normalised by its maker; write it as the integer it is.
    uint64_t magnitude = 0;
    for (size_t i = digits.size(); i-- > 0;) magnitude = (magnitude << 8) | digits[i];
    if (!value.negative && magnitude <= uint64_t{INT64_MAX}) {
      return integer(static_cast<int64_t>(magnitude));
    }
    if (value.negative && magnitude <= uint64_t{INT64_MAX} + 1) {
      return integer(static_cast<int64_t>(0 - magnitude));
    }
  }
  if (digits.size() <= 255) {
    sink_.u8(SMALL_BIG_EXT);
    sink_.u8(static_cast<uint8_t>(digits.size()));
  } else {
    if (digits.size() > UINT32_MAX) return invalid("integer too large");
    sink_.u8(LARGE_BIG_EXT);
    sink_.u32(static_cast<uint32_t>(digits.size()));
  }
  sink_.u8(value.negative ? 1 : 0);
  sink_.bytes(digits);
  return {};
}

template <class Sink>
Result<void> Encoder<Sink>::atom(const Atom& value) {
  if (atom_refs_ != nullptr) {
    int index = atom_refs_->lookup(value);
    if (index >= 0) {
      sink_.u8(ATOM_CACHE_REF);
      sink_.u8(static_cast<uint8_t>(index));
      return {};
    }
  }
  const std::string& name = value.name;
  if constexpr (Sink::kValidates) {
    if (!value.name.wire_valid()) {  // checked once, when the atom was made
      auto code_points = utf8_code_points(name);
      if (!code_points) return invalid("atom is not valid UTF-8");
      return invalid("atom of " + std::to_string(*code_points) + " characters is over 255");
    }
  }
  if (name.size() <= 255) {
    sink_.u8(SMALL_ATOM_UTF8_EXT);
    sink_.u8(static_cast<uint8_t>(name.size()));
  } else {
    sink_.u8(ATOM_UTF8_EXT);
    sink_.u16(static_cast<uint16_t>(name.size()));
  }
  sink_.bytes({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  return {};
}

template <class Sink>
Result<void> Encoder<Sink>::pid(const Pid& value) {
  sink_.u8(NEW_PID_EXT);
  if (auto node = atom(value.node); !node) return node;
  sink_.u32(value.id);
  sink_.u32(value.serial);
  sink_.u32(value.creation);
  return {};
}

// NEW_FUN_EXT up to the free variables, which the walker writes next; Size
// is patched when the frame closes.
template <class Sink>
Result<void> Encoder<Sink>::closure_header(const Closure& value) {
  if (value.free_vars.size() > UINT32_MAX) return invalid("closure has too many free variables");
  sink_.u8(NEW_FUN_EXT);
  size_t size_at = sink_.position();
  sink_.u32(0);
  sink_.u8(value.arity);
  sink_.bytes(value.uniq);
  sink_.u32(value.index);
  sink_.u32(static_cast<uint32_t>(value.free_vars.size()));
  if (auto module = atom(value.module); !module) return module;
  if (auto index = integer(value.old_index); !index) return index;
  if (auto uniq = integer(value.old_uniq); !uniq) return uniq;
  if (auto creator = pid(value.pid); !creator) return creator;
  EncodeFrame& frame = stack_.push();
  frame.next = value.free_vars.data();
  frame.end = value.free_vars.data() + value.free_vars.size();
  frame.patch_size = true;
  frame.size_at = size_at;
  return {};
}

template class Encoder<SizeSink>;
template class Encoder<VectorSink>;

}  // namespace beamlink::etf
