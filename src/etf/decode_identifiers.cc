// Decoding of pids, ports, references, export funs and the fixed part of
// closures (NEW_FUN_EXT); the closure's free variables go through the
// decoder's work stack like tuple elements.
#include <utility>

#include "etf/decoder.h"

namespace beamlink::etf {

namespace {
constexpr size_t kMaxReferenceWords = 5;
// Size, Arity, Uniq, Index, NumFree: what NEW_FUN_EXT's Size covers at least.
constexpr uint32_t kFunFixedSize = 4 + 1 + 16 + 4 + 4;
}  // namespace

Result<Atom> Decoder::read_atom() {
  At at{0, in_.offset()};
  if (!in_.u8(at.tag)) {
    return fail(Errc::malformed, "ETF at offset " + std::to_string(at.offset) +
                                     std::string(where_) +
                                     ": truncated: need an atom, 0 bytes left");
  }
  return read_atom_body(at);
}

// OldIndex, OldUniq and export arity: integers written with any integer tag.
Result<int64_t> Decoder::read_small_integer_field(At owner, const char* field) {
  At at{0, in_.offset()};
  if (!in_.u8(at.tag)) return truncated(owner, 1);
  Result<Term> value = [&]() -> Result<Term> {
    switch (at.tag) {
      case SMALL_INTEGER_EXT: {
        uint8_t v;
        if (!in_.u8(v)) return truncated(at, 1);
        return Term(int64_t{v});
      }
      case INTEGER_EXT: {
        uint32_t v;
        if (!in_.u32(v)) return truncated(at, 4);
        return Term(int64_t{static_cast<int32_t>(v)});
      }
      case SMALL_BIG_EXT:
        return read_small_big(at);
      default:
        return error(Errc::malformed, at, std::string("expected an integer for ") + field);
    }
  }();
  if (!value) return std::unexpected(std::move(value.error()));
  if (!value->is<int64_t>()) {
    return error(Errc::malformed, at, std::string(field) + " is out of range");
  }
  return value->as<int64_t>();
}

Result<Pid> Decoder::read_pid_body(At at) {
  Pid pid;
  auto node = read_atom();
  if (!node) return std::unexpected(std::move(node.error()));
  pid.node = std::move(*node);
  if (!in_.u32(pid.id) || !in_.u32(pid.serial)) return truncated(at, 4);
  if (at.tag == PID_EXT) {
    uint8_t creation;
    if (!in_.u8(creation)) return truncated(at, 1);
    pid.creation = creation;
  } else if (!in_.u32(pid.creation)) {
    return truncated(at, 4);
  }
  return pid;
}

Result<Pid> Decoder::read_pid() {
  At at{0, in_.offset()};
  if (!in_.u8(at.tag)) {
    return fail(Errc::malformed, "ETF at offset " + std::to_string(at.offset) +
                                     std::string(where_) + ": truncated: need a pid, 0 bytes left");
  }
  if (at.tag != NEW_PID_EXT && at.tag != PID_EXT) {
    return error(Errc::malformed, at, "expected a pid");
  }
  return read_pid_body(at);
}

Result<Term> Decoder::read_port(At at) {
  Port port;
  auto node = read_atom();
  if (!node) return std::unexpected(std::move(node.error()));
  port.node = std::move(*node);
  if (at.tag == V4_PORT_EXT) {
    if (!in_.u64(port.id)) return truncated(at, 8);
  } else {
    uint32_t id;
    if (!in_.u32(id)) return truncated(at, 4);
    port.id = id;
  }
  if (at.tag == PORT_EXT) {
    uint8_t creation;
    if (!in_.u8(creation)) return truncated(at, 1);
    port.creation = creation;
  } else if (!in_.u32(port.creation)) {
    return truncated(at, 4);
  }
  return Term(std::move(port));
}

Result<Term> Decoder::read_reference(At at) {
  Reference ref;
  uint16_t words = 1;
  if (at.tag != REFERENCE_EXT) {
    if (!in_.u16(words)) return truncated(at, 2);
    if (words == 0 || words > kMaxReferenceWords) {
      return error(Errc::malformed, at,
                   "reference of " + std::to_string(words) + " words (must be 1 to 5)");
    }
  }
  auto node = read_atom();
  if (!node) return std::unexpected(std::move(node.error()));
  ref.node = std::move(*node);
  if (at.tag == REFERENCE_EXT) {
    uint32_t id;
    if (!in_.u32(id)) return truncated(at, 4);
    ref.ids.push_back(id);
  }
  if (at.tag == NEWER_REFERENCE_EXT) {
    if (!in_.u32(ref.creation)) return truncated(at, 4);
  } else {
    uint8_t creation;
    if (!in_.u8(creation)) return truncated(at, 1);
    ref.creation = creation;
  }
  if (at.tag != REFERENCE_EXT) {
    ref.ids.resize(words);
    for (uint32_t& id : ref.ids) {
      if (!in_.u32(id)) return truncated(at, 4);
    }
  }
  return Term(std::move(ref));
}

Result<Term> Decoder::read_export(At at) {
  ExportFun fun;
  auto module = read_atom();
  if (!module) return std::unexpected(std::move(module.error()));
  auto function = read_atom();
  if (!function) return std::unexpected(std::move(function.error()));
  auto arity = read_small_integer_field(at, "arity");
  if (!arity) return std::unexpected(std::move(arity.error()));
  if (*arity < 0 || *arity > 255) {
    return error(Errc::malformed, at, "arity " + std::to_string(*arity) + " is over 255");
  }
  fun.module = std::move(*module);
  fun.function = std::move(*function);
  fun.arity = static_cast<uint8_t>(*arity);
  return Term(std::move(fun));
}

// NEW_FUN_EXT: Size, Arity, Uniq, Index, NumFree, Module, OldIndex, OldUniq,
// Pid, then NumFree free variables. Size counts from its own first byte and
// must match where the fun really ends (checked when it closes).
Result<bool> Decoder::read_fun_header(At at, Term& out) {
  size_t size_offset = in_.offset();
  uint32_t size;
  if (!in_.u32(size)) return truncated(at, 4);
  if (size < kFunFixedSize || size - 4 > in_.remaining()) {
    return error(Errc::malformed, at,
                 "Size is " + std::to_string(size) + " but " + std::to_string(in_.remaining() + 4) +
                     " bytes remain (at least " + std::to_string(kFunFixedSize) + " needed)");
  }
  auto closure = std::make_unique<Closure>();
  std::span<const uint8_t> uniq;
  uint32_t free_count;
  if (!in_.u8(closure->arity) || !in_.bytes(16, uniq) || !in_.u32(closure->index) ||
      !in_.u32(free_count)) {
    return truncated(at, kFunFixedSize - 4);  // unreachable: Size was checked
  }
  std::copy(uniq.begin(), uniq.end(), closure->uniq.begin());
  auto module = read_atom();
  if (!module) return std::unexpected(std::move(module.error()));
  closure->module = std::move(*module);
  auto old_index = read_small_integer_field(at, "OldIndex");
  if (!old_index) return std::unexpected(std::move(old_index.error()));
  auto old_uniq = read_small_integer_field(at, "OldUniq");
  if (!old_uniq) return std::unexpected(std::move(old_uniq.error()));
  closure->old_index = *old_index;
  closure->old_uniq = *old_uniq;
  auto pid = read_pid();
  if (!pid) return std::unexpected(std::move(pid.error()));
  closure->pid = std::move(*pid);
  size_t fun_end = size_offset + size;
  if (free_count == 0) {
    if (in_.offset() != fun_end) {
      return error(Errc::malformed, at,
                   "Size field ends the fun at offset " + std::to_string(fun_end) +
                       " but its fields end at " + std::to_string(in_.offset()));
    }
    out = Term(std::move(*closure));
    return true;
  }
  if (auto opened = open(at, free_count, free_count, "free variables", out); !opened) {
    return std::unexpected(opened.error());
  }
  stack_.back().closure = std::move(closure);
  stack_.back().fun_end = fun_end;
  return false;
}

}  // namespace beamlink::etf
