// dist/control_prefix.h - the control messages of a process's messages,
// encoded straight from the pids with no Term built: {SEND_SENDER, From,
// To}, {SEND, '', To} and {REG_SEND, From, '', Name}. The bytes are what
// etf::encode_to gives for the same control tuple without the 131 prefix
// (the tests compare them).
//
// A ControlPrefix keeps the last control message it encoded and re-encodes
// only when the operation or the pids change: a process sending a stream
// to one peer pays for its prefix once. One per thread (it is not thread
// safe); pure, no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::dist {

class ControlPrefix {
 public:
  // {SEND_SENDER, From, To}, or {SEND, '', To} when `from` is null. Empty
  // when an atom cannot go on the wire (the caller's general path reports
  // it). The span is valid until the next call.
  std::span<const uint8_t> send(const Pid* from, const Pid& to);
  // {REG_SEND, From, '', Name}; empty as for send().
  std::span<const uint8_t> reg_send(const Pid& from, const Atom& name);

 private:
  enum class Kind : uint8_t { none, send, send_sender, reg_send };
  bool cached(Kind kind, const Pid& from, const Pid& to, const Atom& name) const;

  Kind kind_ = Kind::none;
  Pid from_;
  Pid to_;
  Atom name_;
  std::vector<uint8_t> bytes_;
};

}  // namespace beamlink::dist
