// Helpers shared by the ETF tests: literal byte packets and terse term
// builders.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/term.h"

namespace beamlink::etf::testing {

using Packet = std::vector<uint8_t>;

inline Packet cat(std::initializer_list<Packet> parts) {
  Packet out;
  for (const Packet& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Packet text(std::string_view s) {
  return Packet(s.begin(), s.end());
}

inline Term atom(std::string_view name) {
  return Term::atom(name);
}
inline Term tuple(std::vector<Term> elements) {
  return Term::tuple(std::move(elements));
}
inline Term list(std::vector<Term> elements) {
  return Term::list(std::move(elements));
}

inline Pid pid(std::string node, uint32_t id, uint32_t serial, uint32_t creation) {
  return Pid{Atom(std::move(node)), id, serial, creation};
}

// Decodes `bytes` and expects success.
inline Term decoded(const Packet& bytes, const DecodeOptions& options = {}) {
  auto term = decode(bytes, options);
  EXPECT_TRUE(term.has_value()) << (term ? "" : term.error().to_string());
  return term ? *term : Term::atom("decode_failed");
}

inline Packet encoded(const Term& term, const EncodeOptions& options = {}) {
  auto bytes = encode(term, options);
  EXPECT_TRUE(bytes.has_value()) << (bytes ? "" : bytes.error().to_string());
  return bytes ? *bytes : Packet{};
}

}  // namespace beamlink::etf::testing
