// Control messages encoded from pids; see control_prefix.h.
#include "dist/control_prefix.h"

#include "beamlink/etf.h"
#include "dist/control_message.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  store_be32(out.data() + at, v);
}

void put_atom(std::vector<uint8_t>& out, const Atom& atom) {
  const std::string& text = atom.name;
  if (text.size() <= 255) {
    out.push_back(etf::SMALL_ATOM_UTF8_EXT);
    out.push_back(static_cast<uint8_t>(text.size()));
  } else {
    out.push_back(etf::ATOM_UTF8_EXT);
    out.push_back(static_cast<uint8_t>(text.size() >> 8));
    out.push_back(static_cast<uint8_t>(text.size()));
  }
  out.insert(out.end(), text.begin(), text.end());
}

void put_pid(std::vector<uint8_t>& out, const Pid& pid) {
  out.push_back(etf::NEW_PID_EXT);
  put_atom(out, pid.node);
  put_u32(out, pid.id);
  put_u32(out, pid.serial);
  put_u32(out, pid.creation);
}

void put_head(std::vector<uint8_t>& out, uint8_t arity, int64_t op) {
  out.push_back(etf::SMALL_TUPLE_EXT);
  out.push_back(arity);
  out.push_back(etf::SMALL_INTEGER_EXT);
  out.push_back(static_cast<uint8_t>(op));
}

}  // namespace

bool ControlPrefix::cached(Kind kind, const Pid& from, const Pid& to, const Atom& name) const {
  return kind_ == kind && from_ == from && to_ == to && name_ == name;
}

std::span<const uint8_t> ControlPrefix::send(const Pid* from, const Pid& to) {
  static const Pid kNone;
  static const Atom kEmpty;
  const Kind kind = from == nullptr ? Kind::send : Kind::send_sender;
  const Pid& sender = from == nullptr ? kNone : *from;
  if (cached(kind, sender, to, kEmpty)) return bytes_;
  if (!sender.node.name.wire_valid() || !to.node.name.wire_valid()) return {};
  bytes_.clear();
  if (from == nullptr) {
    put_head(bytes_, 3, SEND);
    put_atom(bytes_, kEmpty);
  } else {
    put_head(bytes_, 3, SEND_SENDER);
    put_pid(bytes_, *from);
  }
  put_pid(bytes_, to);
  kind_ = kind;
  from_ = sender;
  to_ = to;
  name_ = kEmpty;
  return bytes_;
}

std::span<const uint8_t> ControlPrefix::reg_send(const Pid& from, const Atom& name) {
  static const Pid kNone;
  if (cached(Kind::reg_send, from, kNone, name)) return bytes_;
  if (!from.node.name.wire_valid() || !name.name.wire_valid()) return {};
  bytes_.clear();
  put_head(bytes_, 4, REG_SEND);
  put_pid(bytes_, from);
  put_atom(bytes_, Atom());
  put_atom(bytes_, name);
  kind_ = Kind::reg_send;
  from_ = from;
  to_ = kNone;
  name_ = name;
  return bytes_;
}

}  // namespace beamlink::dist
