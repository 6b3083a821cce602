// etf/encoder.h - the term walker behind etf::encode and etf::encoded_size.
//
// Contract:
//  * Writes what OTP 25-27's term_to_binary writes (minor version 2: UTF-8
//    atoms, NEW_FLOAT_EXT, NEW_PID_EXT, NEWER_REFERENCE_EXT), without the
//    version byte.
//  * No recursion: nesting is walked with an explicit stack, so a deep term
//    cannot overflow the call stack.
//  * Fails (invalid_argument) only for terms ETF cannot express, possibly
//    after writing part of the term; encode_to then trims what was written.
//  * Instantiated for SizeSink and VectorSink (sinks.h) in encoder.cc.
#pragma once

#include <array>
#include <vector>

#include "beamlink/etf.h"
#include "etf/sinks.h"

namespace beamlink::etf {

// What is left to write of one open container.
struct EncodeFrame {
  const Term* next = nullptr;  // tuple elements, list elements, free vars
  const Term* end = nullptr;
  const std::pair<Term, Term>* pair = nullptr;  // map entries
  const std::pair<Term, Term>* pair_end = nullptr;
  bool value_next = false;
  const Term* tail = nullptr;  // improper list tail
  bool nil = false;            // proper list: NIL_EXT ends it
  bool patch_size = false;     // NEW_FUN_EXT: fill in Size when done
  size_t size_at = 0;
};

// The walker's stack: the first frames live inline, so encoding a term of
// ordinary depth allocates nothing.
class EncodeStack {
 public:
  bool empty() const { return size_ == 0; }
  EncodeFrame& back() { return size_ <= kInline ? inline_[size_ - 1] : overflow_.back(); }
  EncodeFrame& push() {
    ++size_;
    if (size_ <= kInline) return inline_[size_ - 1] = EncodeFrame{};
    return overflow_.emplace_back();
  }
  void pop() {
    if (size_ > kInline) overflow_.pop_back();
    --size_;
  }

 private:
  static constexpr size_t kInline = 24;
  std::array<EncodeFrame, kInline> inline_;
  std::vector<EncodeFrame> overflow_;
  size_t size_ = 0;
};

template <class Sink>
class Encoder {
 public:
  Encoder(Sink& sink, const AtomRefIndex* atom_refs) : sink_(sink), atom_refs_(atom_refs) {}

  Result<void> run(const Term& root);

 private:
  Result<void> start(const Term& term);  // writes a leaf or a container's header
  Result<void> integer(int64_t value);
  Result<void> big(const BigInt& value);
  Result<void> atom(const Atom& value);
  Result<void> pid(const Pid& value);
  Result<void> closure_header(const Closure& value);

  Sink& sink_;
  const AtomRefIndex* atom_refs_;
  EncodeStack stack_;
};

// True when OTP writes `list` as STRING_EXT: proper, at most 65535 elements,
// each an integer 0..255.
bool is_byte_string(const List& list);

}  // namespace beamlink::etf
