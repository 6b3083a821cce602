// dist_frames.h - literal frames for the distribution header tests: a short
// control message, concatenation, splitting a byte stream into frame
// bodies, fragment frames, and DistReader answers in test-friendly forms.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "dist/control_message.h"
#include "dist/dist_reader.h"

namespace beamlink::dist::testing {

using Bytes = std::vector<uint8_t>;

// {2, '', x} and 7: SEND with an atom for a pid keeps the bytes short.
inline const Term kControl = Term::tuple({SEND, Term::atom(""), Term::atom("x")});
inline const Term kPayload = Term(7);
inline const Bytes kControlBytes{104, 3, 97, 2, 119, 0, 119, 1, 'x'};

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// `body` with its 4-byte length in front.
inline Bytes framed(const Bytes& body) {
  const auto n = static_cast<uint32_t>(body.size());
  return concat({{static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                  static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)},
                 body});
}

// Splits a buffer of 4-byte-length frames into frame bodies.
inline std::vector<Bytes> split_frames(const Bytes& bytes) {
  std::vector<Bytes> frames;
  for (size_t at = 0; at + 4 <= bytes.size();) {
    const size_t length = (size_t{bytes[at]} << 24) | (size_t{bytes[at + 1]} << 16) |
                          (size_t{bytes[at + 2]} << 8) | bytes[at + 3];
    frames.emplace_back(bytes.begin() + static_cast<ptrdiff_t>(at + 4),
                        bytes.begin() + static_cast<ptrdiff_t>(at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

// A fragment frame body: 131, tag (69 first, with an empty atom cache
// header; 70 later), sequence id, fragment id, data.
inline Bytes frag(uint8_t tag, uint64_t seq, uint64_t id, const Bytes& data) {
  Bytes frame{131, tag};
  for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<uint8_t>(seq >> shift));
  for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<uint8_t>(id >> shift));
  if (tag == 69) frame.push_back(0);
  frame.insert(frame.end(), data.begin(), data.end());
  return frame;
}

// The reader's answer as "nullopt until a message is complete".
inline Result<std::optional<DistMessage>> read_one(DistReader& reader, const Bytes& frame) {
  DistMessage message;
  auto complete = reader.read(frame, message);
  if (!complete) return std::unexpected(complete.error());
  if (!*complete) return std::optional<DistMessage>();
  return std::optional<DistMessage>(std::move(message));
}

inline Error read_error(DistReader& reader, const Bytes& frame) {
  auto result = read_one(reader, frame);
  EXPECT_FALSE(result) << "expected an error";
  return result ? Error{} : result.error();
}

}  // namespace beamlink::dist::testing
