// The decoder's driver: the explicit work stack, containers, limits and
// error messages. Scalars live in decode_scalars.cc, pids/ports/refs/funs in
// decode_identifiers.cc.
#include "etf/decoder.h"

#include <algorithm>
#include <utility>

namespace beamlink::etf {

Decoder::Decoder(std::span<const uint8_t> data, size_t base, const DecodeOptions& options,
                 PayloadMode mode, std::shared_ptr<const void> owner, std::string_view where)
    : in_(data, base), options_(options), mode_(mode), owner_(std::move(owner)), where_(where) {}

std::unexpected<Error> Decoder::error(Errc code, At at, const std::string& what) const {
  std::string name = tag_name(at.tag);
  std::string message = "ETF " + name;
  if (name.rfind("tag ", 0) != 0) message += " (" + std::to_string(at.tag) + ")";
  message += " at offset " + std::to_string(at.offset);
  message += where_;
  message += ": ";
  message += what;
  return fail(code, std::move(message));
}

std::unexpected<Error> Decoder::truncated(At at, size_t need) const {
  return error(Errc::malformed, at,
               "truncated: need " + std::to_string(need) + (need == 1 ? " byte, " : " bytes, ") +
                   std::to_string(in_.remaining()) + " left");
}

std::unexpected<Error> Decoder::too_long(At at, uint64_t declared, const char* unit) const {
  return error(Errc::malformed, at,
               "declares " + std::to_string(declared) + " " + unit + " but only " +
                   std::to_string(in_.remaining()) + " bytes remain");
}

Result<void> Decoder::count_terms(At at, size_t n) {
  terms_ += n;
  if (terms_ + pending_ > options_.limits.max_terms) {
    return error(Errc::limit_exceeded, at,
                 "more than max_terms (" + std::to_string(options_.limits.max_terms) + ") terms");
  }
  return {};
}

// Promises `items` more nested terms. Each of them, and each element still
// owed to the open frames, needs at least one byte of input, so nothing is
// reserved that the input cannot back.
Result<void> Decoder::promise(At at, size_t declared, size_t items, const char* noun) {
  size_t available = in_.remaining() - std::min(pending_, in_.remaining());
  if (items > available) {
    return error(Errc::malformed, at,
                 "declares " + std::to_string(declared) + " " + noun + " but only " +
                     std::to_string(available) + " bytes remain");
  }
  if (terms_ + pending_ + items > options_.limits.max_terms) {
    return error(Errc::limit_exceeded, at,
                 "declares " + std::to_string(declared) + " " + noun + ", over max_terms (" +
                     std::to_string(options_.limits.max_terms) + ")");
  }
  pending_ += items;
  return {};
}

Result<void> Decoder::open(At at, size_t declared, size_t items, const char* noun, Term& dest) {
  if (stack_.size() >= options_.limits.max_depth) {
    return error(
        Errc::limit_exceeded, at,
        "nesting deeper than max_depth (" + std::to_string(options_.limits.max_depth) + ")");
  }
  if (auto promised = promise(at, declared, items, noun); !promised) return promised;
  Frame& frame = stack_.push();
  frame.at = at;
  frame.dest = &dest;
  frame.expected = items;
  if (at.tag == MAP_EXT) {
    frame.pairs.reserve(items / 2);
  } else {
    frame.items.reserve(items);
  }
  return {};
}

// OTP never writes a list as another list's tail, but [1 | [2]] is [1, 2].
// Instead of nesting, the tail list's elements join the enclosing list's
// frame, so a chain of such tails neither deepens the stack nor gets copied.
Result<bool> Decoder::splice_tail_list(At at, uint32_t length) {
  if (auto promised = promise(at, length, size_t{length} + 1, "elements"); !promised) {
    return std::unexpected(promised.error());
  }
  Frame& frame = stack_.back();
  frame.items.pop_back();    // the tail's slot: the first element takes it
  frame.expected += length;  // the old tail counts as the first element
  return false;
}

// The next element's place in the top frame. Elements start only after the
// previous one is complete, so `done` is the new element's index, and nothing
// points into items or pairs while they grow.
Term& Decoder::next_slot(Frame& frame) {
  if (frame.at.tag != MAP_EXT) return frame.items.emplace_back();
  if (frame.done % 2 == 0) return frame.pairs.emplace_back().first;
  return frame.pairs.back().second;
}

Result<Term> Decoder::run() {
  Term root;
  for (;;) {
    Term* dest = &root;
    if (!stack_.empty()) {
      --pending_;  // the next element of the top frame starts now
      dest = &next_slot(stack_.back());
    }
    auto complete = start_term(*dest);
    if (!complete) return std::unexpected(std::move(complete.error()));
    if (!*complete) continue;
    // Count the finished term in its parents, closing every frame it fills.
    for (;;) {
      if (stack_.empty()) return root;
      Frame& frame = stack_.back();
      if (++frame.done < frame.expected) break;
      if (auto closed = close(frame); !closed) return std::unexpected(std::move(closed.error()));
      stack_.pop();
    }
  }
}

Result<bool> Decoder::start_term(Term& out) {
  At at{0, in_.offset()};
  if (!in_.u8(at.tag)) {
    return fail(Errc::malformed, "ETF at offset " + std::to_string(at.offset) +
                                     std::string(where_) + ": truncated: need a tag byte, 0 left");
  }
  if (auto counted = count_terms(at, 1); !counted) return std::unexpected(counted.error());
  switch (at.tag) {
    case SMALL_INTEGER_EXT: {
      uint8_t v;
      if (!in_.u8(v)) return truncated(at, 1);
      out = Term(int64_t{v});
      return true;
    }
    case INTEGER_EXT: {
      uint32_t v;
      if (!in_.u32(v)) return truncated(at, 4);
      out = Term(int64_t{static_cast<int32_t>(v)});
      return true;
    }
    case NIL_EXT:
      out = Term();
      return true;
    case SMALL_TUPLE_EXT:
    case LARGE_TUPLE_EXT: {
      uint32_t arity;
      if (at.tag == SMALL_TUPLE_EXT) {
        uint8_t small;
        if (!in_.u8(small)) return truncated(at, 1);
        arity = small;
      } else if (!in_.u32(arity)) {
        return truncated(at, 4);
      }
      if (arity == 0) {
        out = Term(Tuple{});
        return true;
      }
      if (auto opened = open(at, arity, arity, "elements", out); !opened) {
        return std::unexpected(opened.error());
      }
      return false;
    }
    case LIST_EXT: {
      uint32_t length;
      if (!in_.u32(length)) return truncated(at, 4);
      if (!stack_.empty() && stack_.back().at.tag == LIST_EXT &&
          stack_.back().done + 1 == stack_.back().expected) {
        return splice_tail_list(at, length);
      }
      if (auto opened = open(at, length, size_t{length} + 1, "elements", out); !opened) {
        return std::unexpected(opened.error());
      }
      return false;
    }
    case MAP_EXT: {
      uint32_t arity;
      if (!in_.u32(arity)) return truncated(at, 4);
      if (arity == 0) {
        out = Term(Map{});
        return true;
      }
      if (auto opened = open(at, arity, size_t{arity} * 2, "pairs", out); !opened) {
        return std::unexpected(opened.error());
      }
      return false;
    }
    case NEW_FUN_EXT:
      return read_fun_header(at, out);
    case ATOM_EXT:
    case SMALL_ATOM_EXT:
    case ATOM_UTF8_EXT:
    case SMALL_ATOM_UTF8_EXT:
    case ATOM_CACHE_REF: {
      auto atom = read_atom_body(at);
      if (!atom) return std::unexpected(std::move(atom.error()));
      out = Term(std::move(*atom));
      return true;
    }
    case NEW_PID_EXT:
    case PID_EXT: {
      auto pid = read_pid_body(at);
      if (!pid) return std::unexpected(std::move(pid.error()));
      out = Term(std::move(*pid));
      return true;
    }
    default:
      break;
  }
  Result<Term> leaf = [&]() -> Result<Term> {
    switch (at.tag) {
      case SMALL_BIG_EXT:
        return read_small_big(at);
      case LARGE_BIG_EXT:
        return read_large_big(at);
      case NEW_FLOAT_EXT:
        return read_new_float(at);
      case FLOAT_EXT:
        return read_float_text(at);
      case STRING_EXT:
        return read_string(at);
      case BINARY_EXT:
        return read_binary(at);
      case BIT_BINARY_EXT:
        return read_bit_binary(at);
      case NEW_PORT_EXT:
      case V4_PORT_EXT:
      case PORT_EXT:
        return read_port(at);
      case NEWER_REFERENCE_EXT:
      case NEW_REFERENCE_EXT:
      case REFERENCE_EXT:
        return read_reference(at);
      case EXPORT_EXT:
        return read_export(at);
      case LOCAL_EXT:
      case 117:  // FUN_EXT, removed in OTP 23
        return error(Errc::unsupported, at, "beamlink does not decode this tag");
      default:
        return error(Errc::malformed, at, "unknown tag");
    }
  }();
  if (!leaf) return std::unexpected(std::move(leaf.error()));
  out = std::move(*leaf);
  return true;
}

Result<void> Decoder::close(Frame& frame) {
  std::vector<Term>& items = frame.items;
  Term& dest = *frame.dest;
  switch (frame.at.tag) {
    case SMALL_TUPLE_EXT:
    case LARGE_TUPLE_EXT:
      dest = Term(Tuple{std::move(items)});
      return {};
    case LIST_EXT: {
      Term tail = std::move(items.back());
      items.pop_back();
      if (items.empty()) {  // [] ++ Tail
        dest = std::move(tail);
        return {};
      }
      List list{std::move(items), nullptr};
      if (const List* inner = tail.get_if<List>()) {
        // A STRING_EXT tail: [1 | "ab"] is [1, $a, $b].
        list.elements.insert(list.elements.end(), inner->elements.begin(), inner->elements.end());
        list.tail = inner->tail;
      } else if (!tail.is_nil()) {
        list.tail = std::make_shared<const Term>(std::move(tail));
      }
      dest = Term(std::move(list));
      return {};
    }
    case MAP_EXT: {
      size_t count = frame.pairs.size();
      Map map = Map::from(std::move(frame.pairs));
      if (map.entries.size() != count) {
        return error(Errc::malformed, frame.at, "duplicate map key");
      }
      dest = Term(std::move(map));
      return {};
    }
    case NEW_FUN_EXT: {
      if (in_.offset() != frame.fun_end) {
        return error(Errc::malformed, frame.at,
                     "Size field ends the fun at offset " + std::to_string(frame.fun_end) +
                         " but its fields end at " + std::to_string(in_.offset()));
      }
      frame.closure->free_vars = std::move(items);
      dest = Term(std::move(*frame.closure));
      return {};
    }
    default:
      break;
  }
  return error(Errc::malformed, frame.at, "internal: unexpected container");
}

}  // namespace beamlink::etf
