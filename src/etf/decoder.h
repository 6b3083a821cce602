// etf/decoder.h - the iterative ETF term decoder behind etf::decode.
//
// Contract:
//  * Decodes exactly one term from the reader's position (no version byte)
//    and stops; the caller decides what trailing bytes mean.
//  * No recursion: nested tuples, lists, maps and closures sit on an explicit
//    stack bounded by limits.max_depth. Every count is checked against the
//    bytes that remain before anything is reserved: each outstanding element
//    of every open container needs at least one byte of input, so memory
//    stays proportional to the input.
//  * Errors name the tag and the absolute byte offset of that tag.
//  * Not thread safe; one Decoder per decode call.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beamlink/etf.h"
#include "etf/reader.h"
#include "etf/small_stack.h"

namespace beamlink::etf {

enum class PayloadMode { copy, borrow, share };

class Decoder {
 public:
  // `owner` keeps the input alive when mode is share. `where` is appended to
  // error messages (e.g. " in decompressed data").
  Decoder(std::span<const uint8_t> data, size_t base, const DecodeOptions& options,
          PayloadMode mode, std::shared_ptr<const void> owner, std::string_view where = {});

  Result<Term> run();
  size_t consumed() const { return in_.consumed(); }

 private:
  // Where a tag started, for error messages.
  struct At {
    uint8_t tag;
    size_t offset;
  };
  // One open container. Its elements are decoded straight into their final
  // place (items or pairs, reserved up front) and the finished container
  // into `dest`, so a term is not moved from slot to slot on the way up.
  struct Frame {
    At at;
    Term* dest = nullptr;     // where the container goes when it closes
    size_t expected = 0;      // items to collect, in total (a map's keys and values)
    size_t done = 0;          // items complete
    std::vector<Term> items;  // tuple and list elements, free vars
    std::vector<std::pair<Term, Term>> pairs;  // map entries
    std::unique_ptr<Closure> closure;          // NEW_FUN_EXT: header, waiting for free vars
    size_t fun_end = 0;                        // NEW_FUN_EXT: offset its Size field promises
  };

  // Reads one term. Either `out` is complete (returns true) or a frame was
  // pushed whose elements come next, to close into `out` (returns false).
  Result<bool> start_term(Term& out);
  Term& next_slot(Frame& frame);
  Result<void> close(Frame& frame);
  Result<void> promise(At at, size_t declared, size_t items, const char* noun);
  Result<void> open(At at, size_t declared, size_t items, const char* noun, Term& dest);
  Result<bool> splice_tail_list(At at, uint32_t length);

  // Scalars (decode_scalars.cc).
  Result<Term> read_small_big(At at);
  Result<Term> read_large_big(At at);
  Result<Term> read_big_digits(At at, size_t digits);
  Result<Term> read_float_text(At at);
  Result<Term> read_new_float(At at);
  Result<Term> read_string(At at);
  Result<Term> read_binary(At at);
  Result<Term> read_bit_binary(At at);
  Result<Atom> read_atom_body(At at);
  Bytes make_bytes(std::span<const uint8_t> data) const;

  // Identifiers and funs (decode_identifiers.cc).
  Result<Atom> read_atom();  // a nested atom: any atom tag or ATOM_CACHE_REF
  Result<int64_t> read_small_integer_field(At owner, const char* field);
  Result<Pid> read_pid_body(At at);
  Result<Pid> read_pid();  // a nested NEW_PID_EXT or PID_EXT
  Result<Term> read_port(At at);
  Result<Term> read_reference(At at);
  Result<Term> read_export(At at);
  Result<bool> read_fun_header(At at, Term& out);

  // Errors.
  std::unexpected<Error> error(Errc code, At at, const std::string& what) const;
  std::unexpected<Error> truncated(At at, size_t need) const;
  std::unexpected<Error> too_long(At at, uint64_t declared, const char* unit) const;
  Result<void> count_terms(At at, size_t n);

  static constexpr size_t kInlineFrames = 8;

  Reader in_;
  const DecodeOptions& options_;
  PayloadMode mode_;
  std::shared_ptr<const void> owner_;
  std::string_view where_;
  size_t terms_ = 0;    // terms decoded so far
  size_t pending_ = 0;  // elements promised by open frames, not yet started
  SmallStack<Frame, kInlineFrames> stack_;
};

}  // namespace beamlink::etf
