// Malformed input as literal byte packets, each with the exact error the
// decoder must give: code, tag and offset.
#include <gtest/gtest.h>
#include <zlib.h>

#include "etf_test_support.h"

namespace beamlink::etf::testing {
namespace {

struct Case {
  const char* name;
  Packet bytes;
  Errc code;
  std::string message;
};

void expect_error(const Case& c, const DecodeOptions& options = {}) {
  auto term = decode(c.bytes, options);
  ASSERT_FALSE(term) << c.name;
  EXPECT_EQ(term.error().code, c.code) << c.name << ": " << term.error().message;
  EXPECT_EQ(term.error().message, c.message) << c.name;
}

TEST(DecodeMalformed, Envelope) {
  for (const Case& c : std::vector<Case>{
           {"empty", {}, Errc::malformed, "ETF at offset 0: empty input"},
           {"bad version",
            {130, 97, 1},
            Errc::malformed,
            "ETF at offset 0: expected version byte 131, got 130"},
           {"version only",
            {131},
            Errc::malformed,
            "ETF at offset 1: truncated: need a tag byte, 0 left"},
           {"trailing",
            {131, 97, 1, 0, 0},
            Errc::malformed,
            "ETF at offset 3: 2 trailing bytes after the term"},
           {"unknown tag", {131, 200}, Errc::malformed, "ETF tag 200 at offset 1: unknown tag"},
           {"compressed tag inside",
            {131, 104, 1, 80},
            Errc::malformed,
            "ETF COMPRESSED (80) at offset 3: unknown tag"},
           {"local ext",
            {131, 121, 0},
            Errc::unsupported,
            "ETF LOCAL_EXT (121) at offset 1: beamlink does not decode this tag"},
           {"old fun ext",
            {131, 117, 0},
            Errc::unsupported,
            "ETF FUN_EXT (117) at offset 1: beamlink does not decode this tag"},
       }) {
    expect_error(c);
  }
}

TEST(DecodeMalformed, TruncatedAtEveryTag) {
  for (const Case& c : std::vector<Case>{
           {"small int",
            {131, 97},
            Errc::malformed,
            "ETF SMALL_INTEGER_EXT (97) at offset 1: truncated: need 1 byte, 0 left"},
           {"int",
            {131, 98, 0, 0},
            Errc::malformed,
            "ETF INTEGER_EXT (98) at offset 1: truncated: need 4 bytes, 2 left"},
           {"small big n",
            {131, 110},
            Errc::malformed,
            "ETF SMALL_BIG_EXT (110) at offset 1: truncated: need 1 byte, 0 left"},
           {"small big sign",
            {131, 110, 1},
            Errc::malformed,
            "ETF SMALL_BIG_EXT (110) at offset 1: truncated: need 1 byte, 0 left"},
           {"small big digits",
            {131, 110, 3, 0, 1},
            Errc::malformed,
            "ETF SMALL_BIG_EXT (110) at offset 1: declares 3 digits but only 1 bytes remain"},
           {"large big n",
            {131, 111, 0, 0, 1},
            Errc::malformed,
            "ETF LARGE_BIG_EXT (111) at offset 1: truncated: need 4 bytes, 3 left"},
           {"new float",
            {131, 70, 1, 2, 3},
            Errc::malformed,
            "ETF NEW_FLOAT_EXT (70) at offset 1: truncated: need 8 bytes, 3 left"},
           {"float text",
            {131, 99, '1', '.', '0'},
            Errc::malformed,
            "ETF FLOAT_EXT (99) at offset 1: truncated: need 31 bytes, 3 left"},
           {"atom len",
            {131, 100, 0},
            Errc::malformed,
            "ETF ATOM_EXT (100) at offset 1: truncated: need 2 bytes, 1 left"},
           {"atom text",
            {131, 118, 0, 3, 'a'},
            Errc::malformed,
            "ETF ATOM_UTF8_EXT (118) at offset 1: declares 3 bytes but only 1 bytes remain"},
           {"small atom",
            {131, 119},
            Errc::malformed,
            "ETF SMALL_ATOM_UTF8_EXT (119) at offset 1: truncated: need 1 byte, 0 left"},
           {"small atom latin1",
            {131, 115, 2, 'a'},
            Errc::malformed,
            "ETF SMALL_ATOM_EXT (115) at offset 1: declares 2 bytes but only 1 bytes remain"},
           {"cache ref",
            {131, 82},
            Errc::malformed,
            "ETF ATOM_CACHE_REF (82) at offset 1: truncated: need 1 byte, 0 left"},
           {"small tuple arity",
            {131, 104},
            Errc::malformed,
            "ETF SMALL_TUPLE_EXT (104) at offset 1: truncated: need 1 byte, 0 left"},
           {"small tuple arity over input",
            {131, 104, 3, 97, 1},
            Errc::malformed,
            "ETF SMALL_TUPLE_EXT (104) at offset 1: declares 3 elements but only 2 bytes remain"},
           {"small tuple element missing",
            {131, 104, 2, 97, 1},
            Errc::malformed,
            "ETF at offset 5: truncated: need a tag byte, 0 left"},
           {"tuple element missing",
            {131, 104, 2, 97, 1, 97},
            Errc::malformed,
            "ETF SMALL_INTEGER_EXT (97) at offset 5: truncated: need 1 byte, 0 left"},
           {"large tuple",
            {131, 105, 0, 0},
            Errc::malformed,
            "ETF LARGE_TUPLE_EXT (105) at offset 1: truncated: need 4 bytes, 2 left"},
           {"string len",
            {131, 107, 0},
            Errc::malformed,
            "ETF STRING_EXT (107) at offset 1: truncated: need 2 bytes, 1 left"},
           {"string bytes",
            {131, 107, 0, 3, 1},
            Errc::malformed,
            "ETF STRING_EXT (107) at offset 1: declares 3 bytes but only 1 bytes remain"},
           {"list len",
            {131, 108, 0, 0, 0},
            Errc::malformed,
            "ETF LIST_EXT (108) at offset 1: truncated: need 4 bytes, 3 left"},
           {"list no tail",
            {131, 108, 0, 0, 0, 1, 97, 1},
            Errc::malformed,
            "ETF at offset 8: truncated: need a tag byte, 0 left"},
           {"list over input",
            {131, 108, 0, 0, 0, 2, 97, 1},
            Errc::malformed,
            "ETF LIST_EXT (108) at offset 1: declares 2 elements but only 2 bytes remain"},
           {"list tail missing",
            {131, 108, 0, 0, 0, 1, 97, 1, 97},
            Errc::malformed,
            "ETF SMALL_INTEGER_EXT (97) at offset 8: truncated: need 1 byte, 0 left"},
           {"binary len",
            {131, 109, 0, 0, 0},
            Errc::malformed,
            "ETF BINARY_EXT (109) at offset 1: truncated: need 4 bytes, 3 left"},
           {"binary bytes",
            {131, 109, 0, 0, 0, 5, 1, 2},
            Errc::malformed,
            "ETF BINARY_EXT (109) at offset 1: declares 5 bytes but only 2 bytes remain"},
           {"bit binary bits",
            {131, 77, 0, 0, 0, 1},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: truncated: need 1 byte, 0 left"},
           {"bit binary bytes",
            {131, 77, 0, 0, 0, 2, 3, 1},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: declares 2 bytes but only 1 bytes remain"},
           {"map arity",
            {131, 116, 0},
            Errc::malformed,
            "ETF MAP_EXT (116) at offset 1: truncated: need 4 bytes, 1 left"},
           {"map value missing",
            {131, 116, 0, 0, 0, 1, 97, 1},
            Errc::malformed,
            "ETF at offset 8: truncated: need a tag byte, 0 left"},
           {"map over input",
            {131, 116, 0, 0, 0, 2, 97, 1, 97},
            Errc::malformed,
            "ETF MAP_EXT (116) at offset 1: declares 2 pairs but only 3 bytes remain"},
           {"pid node",
            {131, 88},
            Errc::malformed,
            "ETF at offset 2: truncated: need an atom, 0 bytes left"},
           {"pid fields",
            {131, 88, 119, 1, 'n', 0, 0, 0, 1, 0, 0},
            Errc::malformed,
            "ETF NEW_PID_EXT (88) at offset 1: truncated: need 4 bytes, 2 left"},
           {"pid creation",
            {131, 88, 119, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 2, 0},
            Errc::malformed,
            "ETF NEW_PID_EXT (88) at offset 1: truncated: need 4 bytes, 1 left"},
           {"port id",
            {131, 89, 119, 1, 'n', 0},
            Errc::malformed,
            "ETF NEW_PORT_EXT (89) at offset 1: truncated: need 4 bytes, 1 left"},
           {"v4 port id",
            {131, 120, 119, 1, 'n', 0, 0, 0, 0},
            Errc::malformed,
            "ETF V4_PORT_EXT (120) at offset 1: truncated: need 8 bytes, 4 left"},
           {"ref len",
            {131, 90, 0},
            Errc::malformed,
            "ETF NEWER_REFERENCE_EXT (90) at offset 1: truncated: need 2 bytes, 1 left"},
           {"ref ids",
            {131, 90, 0, 2, 119, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 1},
            Errc::malformed,
            "ETF NEWER_REFERENCE_EXT (90) at offset 1: truncated: need 4 bytes, 0 left"},
           {"export arity",
            {131, 113, 119, 1, 'm', 119, 1, 'f'},
            Errc::malformed,
            "ETF EXPORT_EXT (113) at offset 1: truncated: need 1 byte, 0 left"},
           {"fun size",
            {131, 112, 0, 0},
            Errc::malformed,
            "ETF NEW_FUN_EXT (112) at offset 1: truncated: need 4 bytes, 2 left"},
           {"compressed size",
            {131, 80, 0, 0},
            Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: truncated: need 4 bytes, 2 left"},
       }) {
    expect_error(c);
  }
}

TEST(DecodeMalformed, HugeDeclaredSizesFailBeforeAllocating) {
  for (const Case& c : std::vector<Case>{
           {"list",
            {131, 108, 255, 255, 255, 255, 97, 1},
            Errc::malformed,
            "ETF LIST_EXT (108) at offset 1: declares 4294967295 elements but only 2 bytes "
            "remain"},
           {"tuple",
            {131, 105, 255, 255, 255, 255, 97, 1},
            Errc::malformed,
            "ETF LARGE_TUPLE_EXT (105) at offset 1: declares 4294967295 elements but only 2 "
            "bytes remain"},
           {"map",
            {131, 116, 128, 0, 0, 0, 97, 1},
            Errc::malformed,
            "ETF MAP_EXT (116) at offset 1: declares 2147483648 pairs but only 2 bytes remain"},
           {"binary",
            {131, 109, 255, 255, 255, 255, 0},
            Errc::malformed,
            "ETF BINARY_EXT (109) at offset 1: declares 4294967295 bytes but only 1 bytes "
            "remain"},
           {"bit binary",
            {131, 77, 255, 255, 255, 255, 3, 0},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: declares 4294967295 bytes but only 1 bytes "
            "remain"},
           {"atom",
            {131, 118, 255, 255, 'a'},
            Errc::malformed,
            "ETF ATOM_UTF8_EXT (118) at offset 1: declares 65535 bytes but only 1 bytes remain"},
           {"big",
            {131, 111, 255, 255, 255, 255, 0, 1},
            Errc::malformed,
            "ETF LARGE_BIG_EXT (111) at offset 1: declares 4294967295 digits but only 1 bytes "
            "remain"},
           {"string",
            {131, 107, 255, 255, 1},
            Errc::malformed,
            "ETF STRING_EXT (107) at offset 1: declares 65535 bytes but only 1 bytes remain"},
           {"nested list counts outer pending elements",
            {131, 104, 4, 108, 0, 0, 0, 1, 97, 1, 106, 97},
            Errc::malformed,
            "ETF LIST_EXT (108) at offset 3: declares 1 elements but only 1 bytes remain"},
           {"compressed",
            {131, 80, 255, 255, 255, 255, 120, 156},
            Errc::limit_exceeded,
            "ETF COMPRESSED (80) at offset 1: declares 4294967295 uncompressed bytes, over "
            "max_size (268435456)"},
           {"compressed ratio",
            {131, 80, 0, 16, 0, 0, 120, 156, 1},
            Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: declares 1048576 uncompressed bytes, impossible "
            "from 3 compressed bytes"},
       }) {
    expect_error(c);
  }
}

TEST(DecodeMalformed, Atoms) {
  Packet latin1_256 = {131, 100, 1, 0};
  latin1_256.resize(4 + 256, 'a');
  Packet utf8_256_chars = {131, 118, 1, 0};
  utf8_256_chars.resize(4 + 256, 'a');
  for (const Case& c : std::vector<Case>{
           {"overlong",
            {131, 119, 2, 0xC0, 0x80},
            Errc::malformed,
            "ETF SMALL_ATOM_UTF8_EXT (119) at offset 1: atom text is not valid UTF-8"},
           {"surrogate",
            {131, 119, 3, 0xED, 0xA0, 0x80},
            Errc::malformed,
            "ETF SMALL_ATOM_UTF8_EXT (119) at offset 1: atom text is not valid UTF-8"},
           {"invalid byte",
            {131, 118, 0, 2, 0xFF, 0xFF},
            Errc::malformed,
            "ETF ATOM_UTF8_EXT (118) at offset 1: atom text is not valid UTF-8"},
           {"cut sequence",
            {131, 119, 1, 0xE2},
            Errc::malformed,
            "ETF SMALL_ATOM_UTF8_EXT (119) at offset 1: atom text is not valid UTF-8"},
           {"too long latin1", latin1_256, Errc::malformed,
            "ETF ATOM_EXT (100) at offset 1: atom of 256 bytes is over 255 characters"},
           {"too many characters", utf8_256_chars, Errc::malformed,
            "ETF ATOM_UTF8_EXT (118) at offset 1: atom of 256 characters is over 255"},
           {"pid node not atom",
            {131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
            Errc::malformed,
            "ETF SMALL_INTEGER_EXT (97) at offset 2: expected an atom"},
           {"cache ref without table",
            {131, 82, 0},
            Errc::malformed,
            "ETF ATOM_CACHE_REF (82) at offset 1: atom cache reference without a distribution "
            "header"},
       }) {
    expect_error(c);
  }
  AtomRefTable table{{Atom("a"), Atom("b")}};
  DecodeOptions options;
  options.atom_refs = &table;
  expect_error({"cache ref out of range",
                {131, 104, 1, 82, 2},
                Errc::malformed,
                "ETF ATOM_CACHE_REF (82) at offset 3: atom cache reference 2 but the "
                "distribution header has 2"},
               options);
}

TEST(DecodeMalformed, Values) {
  for (const Case& c : std::vector<Case>{
           {"infinity",
            {131, 70, 127, 240, 0, 0, 0, 0, 0, 0},
            Errc::malformed,
            "ETF NEW_FLOAT_EXT (70) at offset 1: not a finite float"},
           {"nan",
            {131, 70, 127, 248, 0, 0, 0, 0, 0, 0},
            Errc::malformed,
            "ETF NEW_FLOAT_EXT (70) at offset 1: not a finite float"},
           {"bits zero",
            {131, 77, 0, 0, 0, 1, 0, 255},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: Bits is 0 for 1 bytes"},
           {"bits nine",
            {131, 77, 0, 0, 0, 1, 9, 255},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: Bits is 9 for 1 bytes"},
           {"bits on empty",
            {131, 77, 0, 0, 0, 0, 3},
            Errc::malformed,
            "ETF BIT_BINARY_EXT (77) at offset 1: Bits is 3 for 0 bytes"},
           {"duplicate key",
            {131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2},
            Errc::malformed,
            "ETF MAP_EXT (116) at offset 1: duplicate map key"},
           {"ref zero words",
            {131, 90, 0, 0, 119, 1, 'n', 0, 0, 0, 1},
            Errc::malformed,
            "ETF NEWER_REFERENCE_EXT (90) at offset 1: reference of 0 words (must be 1 to 5)"},
           {"ref six words",
            {131, 90, 0, 6, 119, 1, 'n'},
            Errc::malformed,
            "ETF NEWER_REFERENCE_EXT (90) at offset 1: reference of 6 words (must be 1 to 5)"},
           {"export arity not int",
            {131, 113, 119, 1, 'm', 119, 1, 'f', 106},
            Errc::malformed,
            "ETF NIL_EXT (106) at offset 8: expected an integer for arity"},
           {"export arity too big",
            {131, 113, 119, 1, 'm', 119, 1, 'f', 98, 0, 0, 1, 0},
            Errc::malformed,
            "ETF EXPORT_EXT (113) at offset 1: arity 256 is over 255"},
       }) {
    expect_error(c);
  }
}

Packet fun_bytes(uint32_t size, uint32_t free_count, const Packet& free_vars) {
  Packet bytes = {131,           112, uint8_t(size >> 24), uint8_t(size >> 16), uint8_t(size >> 8),
                  uint8_t(size), 1};
  bytes.resize(bytes.size() + 16, 0xAA);  // Uniq
  bytes = cat({bytes,
               {0,
                0,
                0,
                1,
                uint8_t(free_count >> 24),
                uint8_t(free_count >> 16),
                uint8_t(free_count >> 8),
                uint8_t(free_count),
                119,
                1,
                'm',
                97,
                1,
                97,
                2,
                88,
                119,
                1,
                'n',
                0,
                0,
                0,
                1,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                1},
               free_vars});
  return bytes;
}

TEST(DecodeMalformed, FunSizeMustMatchWhatWasRead) {
  // A correct one first: Size = 4+1+16+4+4 + 3 (module) + 2 + 2 + 16 (pid) + 2.
  Packet good = fun_bytes(54, 1, {97, 7});
  ASSERT_EQ(good.size() - 2, 54u);
  Term fun = decoded(good);
  ASSERT_TRUE(fun.is<Closure>());
  EXPECT_EQ(fun.as<Closure>().free_vars, std::vector<Term>{Term(7)});
  EXPECT_EQ(encoded(fun), good);

  expect_error({"size too big", cat({fun_bytes(56, 1, {97, 7}), {0, 0}}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: Size field ends the fun at offset 58 but "
                "its fields end at 56"});
  expect_error({"size too small", fun_bytes(53, 1, {97, 7}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: Size field ends the fun at offset 55 but "
                "its fields end at 56"});
  expect_error({"size without free vars", fun_bytes(51, 0, {}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: Size field ends the fun at offset 53 but "
                "its fields end at 54"});
  expect_error({"size beyond input", fun_bytes(1000, 1, {97, 7}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: Size is 1000 but 54 bytes remain (at least "
                "29 needed)"});
  expect_error({"size below fixed part", fun_bytes(10, 1, {97, 7}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: Size is 10 but 54 bytes remain (at least 29 "
                "needed)"});
  expect_error({"huge free var count", fun_bytes(54, 0xFFFFFFFF, {97, 7}), Errc::malformed,
                "ETF NEW_FUN_EXT (112) at offset 1: declares 4294967295 free variables but only "
                "2 bytes remain"});
  Packet bad_pid = fun_bytes(54, 1, {97, 7});
  bad_pid[2 + 4 + 1 + 16 + 8 + 3 + 4] = 97;  // the pid's tag
  expect_error({"pid not a pid", bad_pid, Errc::malformed,
                "ETF SMALL_INTEGER_EXT (97) at offset 38: expected a pid"});
}

Packet compressed(uint32_t declared, const Packet& zlib_data) {
  return cat({{131, 80, uint8_t(declared >> 24), uint8_t(declared >> 16), uint8_t(declared >> 8),
               uint8_t(declared)},
              zlib_data});
}

Packet zlib(const Packet& raw) {
  uLongf size = compressBound(raw.size());
  Packet out(size);
  compress(out.data(), &size, raw.data(), raw.size());
  out.resize(size);
  return out;
}

TEST(DecodeMalformed, CompressedStreams) {
  Packet body = {104, 2, 97, 1, 97, 2};
  ASSERT_EQ(decoded(compressed(6, zlib(body))), tuple({Term(1), Term(2)}));
  Packet cut = zlib(body);
  cut.resize(cut.size() - 3);
  Packet garbage = zlib(body);
  garbage[3] ^= 0xFF;
  for (const Case& c : std::vector<Case>{
           {"declared too small", compressed(5, zlib(body)), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: inflates to more than the declared 5 bytes"},
           {"declared too large", compressed(7, zlib(body)), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: inflates to 6 bytes but declares 7"},
           {"declared zero", compressed(0, zlib(body)), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: declares 0 uncompressed bytes"},
           {"truncated stream", compressed(6, cut), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: zlib stream is truncated after 6 of 6 bytes"},
           {"not zlib", compressed(6, {1, 2, 3, 4, 5, 6, 7, 8}), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: bad zlib stream: incorrect header check"},
           {"trailing after stream", cat({compressed(6, zlib(body)), {0}}), Errc::malformed,
            "ETF COMPRESSED (80) at offset 1: 1 bytes follow the end of the zlib stream"},
           {"bad term inside", compressed(3, zlib({104, 2, 97})), Errc::malformed,
            "ETF SMALL_TUPLE_EXT (104) at offset 0 of the decompressed term: declares 2 "
            "elements but only 1 bytes remain"},
           {"trailing inside", compressed(3, zlib({97, 1, 0})), Errc::malformed,
            "ETF at offset 2 of the decompressed term: 1 trailing bytes after the term"},
       }) {
    expect_error(c);
  }
  auto corrupt = decode(compressed(6, garbage));
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, Errc::malformed);
}

}  // namespace
}  // namespace beamlink::etf::testing
