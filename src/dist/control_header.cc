// Control messages parsed into typed headers; see control_header.h.
#include "dist/control_header.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "dist/control_message.h"
#include "etf/reader.h"
#include "etf/utf8.h"

namespace beamlink::dist {
namespace {

constexpr size_t kMaxAtomCodePoints = 255;
constexpr uint16_t kMaxReferenceWords = 5;

// The elements after the op code, in order, for each operation the header
// carries. kNone ends a layout.
enum class Field : uint8_t { none, unused, from, to, name, alias, proc, ref, id, token, reason };
using Layout = std::array<Field, 5>;

// The layout of `op`'s control tuple after the op code, or nullopt for an
// operation the header does not carry.
std::optional<Layout> layout_of(int64_t op) {
  using enum Field;
  switch (op) {
    case SEND:
      return Layout{unused, to};
    case SEND_TT:
      return Layout{unused, to, token};
    case SEND_SENDER:
    case LINK:
    case UNLINK:
    case PAYLOAD_EXIT:
    case PAYLOAD_EXIT2:
      return Layout{from, to};
    case SEND_SENDER_TT:
    case PAYLOAD_EXIT_TT:
    case PAYLOAD_EXIT2_TT:
      return Layout{from, to, token};
    case REG_SEND:
      return Layout{from, unused, name};
    case REG_SEND_TT:
      return Layout{from, unused, name, token};
    case ALIAS_SEND:
      return Layout{from, alias};
    case ALIAS_SEND_TT:
      return Layout{from, alias, token};
    case UNLINK_ID:
    case UNLINK_ID_ACK:
      return Layout{id, from, to};
    case EXIT:
    case EXIT2:
      return Layout{from, to, reason};
    case EXIT_TT:
    case EXIT2_TT:
      return Layout{from, to, token, reason};
    case MONITOR_P:
    case DEMONITOR_P:
      return Layout{from, proc, ref};
    case MONITOR_P_EXIT:
      return Layout{proc, to, ref, reason};
    case PAYLOAD_MONITOR_P_EXIT:
      return Layout{proc, to, ref};
    default:
      return std::nullopt;
  }
}

size_t arity_of(const Layout& layout) {
  size_t n = 1;  // the op code
  for (Field f : layout) n += f == Field::none ? 0 : 1;
  return n;
}

// Reads the elements. A read that fails sets either `error` (the bytes are
// malformed) or `other` (well formed, but a shape the header does not
// carry) and returns false.
class Parser {
 public:
  // `base`: where `data` starts in the control message, for error offsets.
  Parser(std::span<const uint8_t> data, size_t base, const etf::DecodeOptions& options)
      : data_(data), base_(base), in_(data, base), options_(options) {}

  std::optional<Error> error;
  bool other = false;
  size_t consumed() const { return in_.consumed(); }

  bool tag(uint8_t& out, std::string_view what) {
    if (in_.u8(out)) return true;
    return truncated(what);
  }

  bool atom(std::string_view& out) {
    const size_t at = in_.offset();
    uint8_t t = 0;
    if (!tag(t, "an atom")) return false;
    size_t length = 0;
    switch (t) {
      case etf::ATOM_CACHE_REF: {
        uint8_t index = 0;
        if (!in_.u8(index)) return truncated("an atom cache index");
        if (options_.atom_refs == nullptr) {
          return malformed(at, "atom cache reference without a distribution header");
        }
        if (index >= options_.atom_refs->atoms.size()) {
          return malformed(at, "atom cache reference " + std::to_string(index) +
                                   " but the distribution header has " +
                                   std::to_string(options_.atom_refs->atoms.size()));
        }
        out = options_.atom_refs->atoms[index].name;
        return true;
      }
      case etf::SMALL_ATOM_UTF8_EXT:
      case etf::SMALL_ATOM_EXT: {
        uint8_t n = 0;
        if (!in_.u8(n)) return truncated("an atom length");
        length = n;
        break;
      }
      case etf::ATOM_UTF8_EXT:
      case etf::ATOM_EXT: {
        uint16_t n = 0;
        if (!in_.u16(n)) return truncated("an atom length");
        length = n;
        break;
      }
      default:
        return shape();
    }
    const bool utf8 = t == etf::SMALL_ATOM_UTF8_EXT || t == etf::ATOM_UTF8_EXT;
    std::span<const uint8_t> bytes;
    if (!in_.bytes(length, bytes)) {
      return malformed(at, "atom of " + std::to_string(length) + " bytes, " +
                               std::to_string(in_.remaining()) + " left");
    }
    out = {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    if (!utf8) {
      if (length > kMaxAtomCodePoints) {
        return malformed(at, "atom of " + std::to_string(length) + " bytes is over 255 characters");
      }
      for (uint8_t b : bytes) {
        if (b >= 0x80) return shape();  // Latin-1 that needs converting: the Term path does it
      }
      return true;
    }
    const auto code_points = etf::utf8_code_points(out);
    if (!code_points) return malformed(at, "atom text is not valid UTF-8");
    if (*code_points > kMaxAtomCodePoints) {
      return malformed(at, "atom of " + std::to_string(*code_points) + " characters is over 255");
    }
    return true;
  }

  bool pid(PidView& out) {
    uint8_t t = 0;
    if (!tag(t, "a pid")) return false;
    if (t != etf::NEW_PID_EXT && t != etf::PID_EXT) return shape();
    tag_ = t;
    return pid_body(out);
  }

  bool ref(RefView& out) {
    const size_t at = in_.offset();
    uint8_t t = 0;
    if (!tag(t, "a reference")) return false;
    if (t != etf::NEWER_REFERENCE_EXT && t != etf::NEW_REFERENCE_EXT) return shape();
    uint16_t words = 0;
    if (!in_.u16(words)) return truncated("a reference length");
    if (words == 0 || words > kMaxReferenceWords) {
      return malformed(at, "reference of " + std::to_string(words) + " words (must be 1 to 5)");
    }
    if (!atom(out.node)) return false;
    if (!creation(t == etf::NEWER_REFERENCE_EXT, out.creation)) return false;
    out.words = static_cast<uint8_t>(words);
    for (uint16_t i = 0; i < words; ++i) {
      if (!in_.u32(out.ids[i])) return truncated("a reference id");
    }
    return true;
  }

  bool proc(ProcView& out) {
    const size_t start = in_.consumed();
    uint8_t t = 0;
    if (!in_.u8(t)) return truncated("a pid or a name");
    if (t == etf::NEW_PID_EXT || t == etf::PID_EXT) {
      out.named = false;
      tag_ = t;
      return pid_body(out.pid);
    }
    in_ = rewound(start);
    out.named = true;
    return atom(out.name);
  }

  bool id(uint64_t& out) {
    uint8_t t = 0;
    if (!tag(t, "an integer")) return false;
    if (t == etf::SMALL_INTEGER_EXT) {
      uint8_t v = 0;
      if (!in_.u8(v)) return truncated("an integer");
      out = v;
      return true;
    }
    if (t == etf::INTEGER_EXT) {
      uint32_t v = 0;
      if (!in_.u32(v)) return truncated("an integer");
      if (static_cast<int32_t>(v) < 0) return shape();
      out = v;
      return true;
    }
    return shape();  // bignums take the Term path
  }

  // Any term (a reason, a trace token, an unused element), decoded.
  bool term(std::optional<Term>& out) {
    const size_t at = in_.offset();
    auto decoded = etf::decode_one(data_.subspan(in_.consumed()), options_);
    if (!decoded) {
      error = Error{decoded.error().code,
                    "at offset " + std::to_string(at) + ": " + decoded.error().message};
      return false;
    }
    std::span<const uint8_t> skipped;
    in_.bytes(decoded->consumed, skipped);
    out = std::move(decoded->term);
    return true;
  }

  // The unused element: an atom's text when it is one (as it always is).
  bool unused(ControlHeader& out) {
    const size_t start = in_.consumed();
    if (atom(out.unused_atom)) return true;
    if (error) return false;
    other = false;
    in_ = rewound(start);
    return term(out.unused);
  }

 private:
  // After a pid's tag (in tag_).
  bool pid_body(PidView& out) {
    const bool wide = tag_ == etf::NEW_PID_EXT;
    if (!atom(out.node)) return false;
    if (!in_.u32(out.id) || !in_.u32(out.serial)) return truncated("a pid's id and serial");
    return creation(wide, out.creation);
  }

  bool creation(bool wide, uint32_t& out) {
    if (wide) {
      if (!in_.u32(out)) return truncated("a creation");
      return true;
    }
    uint8_t c = 0;
    if (!in_.u8(c)) return truncated("a creation");
    out = c;
    return true;
  }

  // A reader at `consumed` bytes into data_.
  etf::Reader rewound(size_t consumed) const {
    etf::Reader r(data_, base_);
    std::span<const uint8_t> skipped;
    r.bytes(consumed, skipped);
    return r;
  }

  bool truncated(std::string_view what) {
    return malformed(in_.offset(), "truncated: need " + std::string(what) + ", " +
                                       std::to_string(in_.remaining()) + " bytes left");
  }
  bool malformed(size_t at, std::string message) {
    error = Error{Errc::malformed, "at offset " + std::to_string(at) + ": " + std::move(message)};
    return false;
  }
  bool shape() {
    other = true;
    return false;
  }

  std::span<const uint8_t> data_;
  size_t base_;
  etf::Reader in_;
  uint8_t tag_ = 0;
  const etf::DecodeOptions& options_;
};

Term pid_term(const PidView& pid) {
  return Term(pid.to_pid());
}

Term atom_term(std::string_view text) {
  return Term(Atom(std::string(text)));
}

}  // namespace

Reference RefView::to_reference() const {
  return Reference{Atom(std::string(node)), creation,
                   std::vector<uint32_t>(ids.begin(), ids.begin() + words)};
}

Term ProcView::to_term() const {
  return named ? atom_term(name) : pid_term(pid);
}

Term ControlHeader::to_term() const {
  std::vector<Term> elements{Term(op)};
  const auto layout = layout_of(op);
  if (!layout) return Term::tuple(std::move(elements));
  for (Field field : *layout) {
    switch (field) {
      case Field::none:
        break;
      case Field::unused:
        elements.push_back(unused ? *unused : atom_term(unused_atom));
        break;
      case Field::from:
        elements.push_back(pid_term(from));
        break;
      case Field::to:
        elements.push_back(pid_term(to));
        break;
      case Field::name:
        elements.push_back(atom_term(to_name));
        break;
      case Field::alias:
      case Field::ref:
        elements.push_back(Term(ref.to_reference()));
        break;
      case Field::proc:
        elements.push_back(proc.to_term());
        break;
      case Field::id:
        elements.push_back(Term(static_cast<int64_t>(unlink_id)));
        break;
      case Field::token:
        elements.push_back(trace_token ? *trace_token : Term());
        break;
      case Field::reason:
        elements.push_back(reason ? *reason : Term());
        break;
    }
  }
  return Term::tuple(std::move(elements));
}

namespace {

bool pid_view(const Term& term, PidView& out) {
  const Pid* pid = term.get_if<Pid>();
  if (pid == nullptr) return false;
  out = PidView{pid->node.name, pid->id, pid->serial, pid->creation};
  return true;
}

bool ref_view(const Term& term, RefView& out) {
  const Reference* ref = term.get_if<Reference>();
  if (ref == nullptr || ref->ids.empty() || ref->ids.size() > kMaxReferenceWords) return false;
  out.node = ref->node.name;
  out.creation = ref->creation;
  out.words = static_cast<uint8_t>(ref->ids.size());
  std::copy(ref->ids.begin(), ref->ids.end(), out.ids.begin());
  return true;
}

bool atom_view(const Term& term, std::string_view& out) {
  const Atom* atom = term.get_if<Atom>();
  if (atom == nullptr) return false;
  out = atom->name;
  return true;
}

bool id_value(const Term& term, uint64_t& out) {
  if (const auto* v = term.get_if<int64_t>(); v != nullptr && *v >= 0) {
    out = static_cast<uint64_t>(*v);
    return true;
  }
  const auto* big = term.get_if<BigInt>();
  if (big == nullptr || big->negative || big->magnitude.size() > 8) return false;
  out = 0;
  for (size_t b = big->magnitude.size(); b-- > 0;) out = out << 8 | big->magnitude[b];
  return true;
}

}  // namespace

bool header_from_term(const Term& control, ControlHeader& out) {
  const auto* tuple = control.get_if<Tuple>();
  if (tuple == nullptr || tuple->elements.empty()) return false;
  const auto* op = tuple->elements[0].get_if<int64_t>();
  if (op == nullptr) return false;
  const auto layout = layout_of(*op);
  if (!layout || tuple->elements.size() != arity_of(*layout)) return false;
  out.op = *op;
  out.trace_token.reset();
  out.reason.reset();
  out.unused.reset();
  out.unused_atom = {};
  out.consumed = 0;
  size_t i = 1;
  for (Field field : *layout) {
    if (field == Field::none) break;
    const Term& e = tuple->elements[i++];
    bool ok = true;
    switch (field) {
      case Field::none:
        break;
      case Field::unused:
        if (!atom_view(e, out.unused_atom)) out.unused = e;
        break;
      case Field::from:
        ok = pid_view(e, out.from);
        break;
      case Field::to:
        ok = pid_view(e, out.to);
        break;
      case Field::name:
        ok = atom_view(e, out.to_name);
        break;
      case Field::alias:
      case Field::ref:
        ok = ref_view(e, out.ref);
        break;
      case Field::proc:
        out.proc.named = e.is<Atom>();
        ok = out.proc.named ? atom_view(e, out.proc.name) : pid_view(e, out.proc.pid);
        break;
      case Field::id:
        ok = id_value(e, out.unlink_id);
        break;
      case Field::token:
        out.trace_token = e;
        break;
      case Field::reason:
        out.reason = e;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

Result<bool> parse_control(std::span<const uint8_t> data, const etf::DecodeOptions& options,
                           ControlHeader& out) {
  // SMALL_TUPLE_EXT, arity, SMALL_INTEGER_EXT, op: anything else (a large
  // tuple, an op written as INTEGER_EXT, not a tuple) takes the Term path.
  if (data.size() < 4 || data[0] != etf::SMALL_TUPLE_EXT || data[2] != etf::SMALL_INTEGER_EXT) {
    return false;
  }
  const auto layout = layout_of(data[3]);
  if (!layout || data[1] != arity_of(*layout)) return false;
  out.op = data[3];
  out.trace_token.reset();
  out.reason.reset();
  out.unused.reset();
  out.unused_atom = {};
  Parser p(data.subspan(4), 4, options);
  bool ok = true;
  for (Field field : *layout) {
    switch (field) {
      case Field::none:
        break;
      case Field::unused:
        ok = p.unused(out);
        break;
      case Field::from:
        ok = p.pid(out.from);
        break;
      case Field::to:
        ok = p.pid(out.to);
        break;
      case Field::name:
        ok = p.atom(out.to_name);
        break;
      case Field::alias:
      case Field::ref:
        ok = p.ref(out.ref);
        break;
      case Field::proc:
        ok = p.proc(out.proc);
        break;
      case Field::id:
        ok = p.id(out.unlink_id);
        break;
      case Field::token:
        ok = p.term(out.trace_token);
        break;
      case Field::reason:
        ok = p.term(out.reason);
        break;
    }
    if (!ok) break;
  }
  if (p.error) {
    Error error = std::move(*p.error);
    error.message = "control message " + std::to_string(out.op) + ": " + error.message;
    return std::unexpected(std::move(error));
  }
  if (!ok) return false;
  out.consumed = 4 + p.consumed();
  return true;
}

}  // namespace beamlink::dist
