// Control messages parsed straight from bytes: every operation the header
// carries gives back the tuple that was encoded, operations and shapes it
// does not carry are left to the Term decoder, and truncated, malformed
// and hostile bytes give a clear error, never a crash.
#include "dist/control_header.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dist/control_message.h"

namespace beamlink::dist {
namespace {

using Bytes = std::vector<uint8_t>;

const Term kFrom(Pid{Atom("a@host"), 70, 1, 3});
const Term kTo(Pid{Atom("b@host"), 71, 0, 4});
const Term kRef(Reference{Atom("b@host"), 4, {1, 2, 3}});
const Term kToken = Term::tuple({Term(0), Term::atom("label"), Term(1), kFrom, Term(2)});
const Term kReason = Term::tuple({Term::atom("shutdown"), Term::binary("bye")});

// One control tuple per operation the header carries.
std::vector<Term> carried() {
  const Term unused = Term::atom("");
  const Term name = Term::atom("bench_rx");
  return {
      Term::tuple({Term(SEND), unused, kTo}),
      Term::tuple({Term(SEND_TT), unused, kTo, kToken}),
      Term::tuple({Term(SEND_SENDER), kFrom, kTo}),
      Term::tuple({Term(SEND_SENDER_TT), kFrom, kTo, kToken}),
      Term::tuple({Term(REG_SEND), kFrom, unused, name}),
      Term::tuple({Term(REG_SEND_TT), kFrom, unused, name, kToken}),
      Term::tuple({Term(ALIAS_SEND), kFrom, kRef}),
      Term::tuple({Term(ALIAS_SEND_TT), kFrom, kRef, kToken}),
      Term::tuple({Term(LINK), kFrom, kTo}),
      Term::tuple({Term(UNLINK), kFrom, kTo}),
      Term::tuple({Term(UNLINK_ID), Term(12345), kFrom, kTo}),
      Term::tuple({Term(UNLINK_ID_ACK), Term(7), kFrom, kTo}),
      Term::tuple({Term(EXIT), kFrom, kTo, kReason}),
      Term::tuple({Term(EXIT2), kFrom, kTo, Term::atom("kill")}),
      Term::tuple({Term(EXIT_TT), kFrom, kTo, kToken, kReason}),
      Term::tuple({Term(EXIT2_TT), kFrom, kTo, kToken, kReason}),
      Term::tuple({Term(PAYLOAD_EXIT), kFrom, kTo}),
      Term::tuple({Term(PAYLOAD_EXIT_TT), kFrom, kTo, kToken}),
      Term::tuple({Term(PAYLOAD_EXIT2), kFrom, kTo}),
      Term::tuple({Term(PAYLOAD_EXIT2_TT), kFrom, kTo, kToken}),
      Term::tuple({Term(MONITOR_P), kFrom, kTo, kRef}),
      Term::tuple({Term(MONITOR_P), kFrom, name, kRef}),
      Term::tuple({Term(DEMONITOR_P), kFrom, name, kRef}),
      Term::tuple({Term(MONITOR_P_EXIT), kTo, kFrom, kRef, kReason}),
      Term::tuple({Term(MONITOR_P_EXIT), name, kFrom, kRef, Term::atom("noproc")}),
      Term::tuple({Term(PAYLOAD_MONITOR_P_EXIT), kTo, kFrom, kRef}),
  };
}

// What a failure names the tuple by: its op code (and arity).
std::string name_of(const Term& control) {
  const auto* tuple = control.get_if<Tuple>();
  if (tuple == nullptr || tuple->elements.empty()) return "not a tuple";
  const auto* op = tuple->elements[0].get_if<int64_t>();
  return "op " + (op ? std::to_string(*op) : std::string("?")) + "/" +
         std::to_string(tuple->elements.size());
}

// The bytes of `control` as they follow a distribution header (no 131).
Bytes encoded(const Term& control) {
  etf::EncodeOptions options;
  options.version = false;
  auto bytes = etf::encode(control, options);
  EXPECT_TRUE(bytes) << bytes.error().to_string();
  return bytes ? *bytes : Bytes{};
}

Result<bool> parse(const Bytes& bytes, ControlHeader& out, const etf::AtomRefTable* refs = nullptr,
                   etf::DecodeLimits limits = {}) {
  etf::DecodeOptions options;
  options.atom_refs = refs;
  options.limits = limits;
  return parse_control(bytes, options, out);
}

TEST(ControlHeaderTest, EveryCarriedOperationGivesBackItsTuple) {
  for (const Term& control : carried()) {
    SCOPED_TRACE(name_of(control));
    Bytes bytes = encoded(control);
    bytes.push_back(97);  // a payload after it is not the header's
    bytes.push_back(1);
    ControlHeader header;
    auto parsed = parse(bytes, header);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    ASSERT_TRUE(*parsed);
    EXPECT_EQ(header.consumed, bytes.size() - 2);
    EXPECT_EQ(header.to_term(), control);
    EXPECT_EQ(header.op, control.element(0)->as<int64_t>());
  }
}

TEST(ControlHeaderTest, FieldsOfTheDataPath) {
  // The header views the bytes: each is kept while its header is read.
  const auto all = carried();
  ControlHeader header;
  const Bytes reg_send = encoded(all[4]);
  ASSERT_TRUE(*parse(reg_send, header));
  EXPECT_EQ(header.from.node, "a@host");
  EXPECT_EQ(header.from.id, 70u);
  EXPECT_EQ(header.from.serial, 1u);
  EXPECT_EQ(header.from.creation, 3u);
  EXPECT_EQ(header.to_name, "bench_rx");
  EXPECT_FALSE(header.trace_token);

  const Bytes send_tt = encoded(all[1]);
  ASSERT_TRUE(*parse(send_tt, header));
  EXPECT_EQ(header.to.to_pid(), kTo.as<Pid>());
  EXPECT_EQ(header.trace_token, kToken);

  const Bytes alias_send = encoded(all[6]);
  ASSERT_TRUE(*parse(alias_send, header));
  EXPECT_EQ(header.ref.to_reference(), kRef.as<Reference>());

  const Bytes unlink_id = encoded(all[10]);
  ASSERT_TRUE(*parse(unlink_id, header));
  EXPECT_EQ(header.unlink_id, 12345u);

  const Bytes exit = encoded(all[12]);
  ASSERT_TRUE(*parse(exit, header));
  EXPECT_EQ(header.reason, kReason);

  const Bytes monitor = encoded(all[21]);
  ASSERT_TRUE(*parse(monitor, header));
  EXPECT_TRUE(header.proc.named);
  EXPECT_EQ(header.proc.name, "bench_rx");
}

TEST(ControlHeaderTest, AtomCacheReferencesAndOldPidForms) {
  etf::AtomRefTable refs;
  refs.atoms = {Atom("b@host"), Atom("bench_rx")};
  // {6, <a@host.70.1>, '', ref 1}: REG_SEND with the name from the cache;
  // the pid is PID_EXT (one-byte creation) with its node from the cache.
  const Bytes bytes{104, 4, 97, 6, 103, 82, 0, 0, 0, 0, 70, 0, 0, 0, 1, 3, 119, 0, 82, 1};
  ControlHeader header;
  auto parsed = parse(bytes, header, &refs);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_TRUE(*parsed);
  EXPECT_EQ(header.from.node, "b@host");
  EXPECT_EQ(header.from.creation, 3u);
  EXPECT_EQ(header.to_name, "bench_rx");
  EXPECT_EQ(header.consumed, bytes.size());

  auto no_table = parse(bytes, header);
  ASSERT_FALSE(no_table);
  EXPECT_NE(no_table.error().message.find("without a distribution header"), std::string::npos)
      << no_table.error().message;

  refs.atoms.pop_back();
  auto out_of_range = parse(bytes, header, &refs);
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("atom cache reference 1"), std::string::npos)
      << out_of_range.error().message;
}

TEST(ControlHeaderTest, OtherOperationsAndShapesAreLeftToTheTermDecoder) {
  const std::vector<Term> others{
      Term::tuple({Term(SPAWN_REQUEST), kRef, kFrom, kFrom,
                   Term::tuple({Term::atom("m"), Term::atom("f"), Term(0)}), Term::nil()}),
      Term::tuple({Term(NODE_LINK)}),
      Term::tuple({Term(GROUP_LEADER), kFrom, kTo}),
      Term::tuple({Term(SEND), Term::atom(""), Term::atom("x")}),  // to a name
      Term::tuple({Term(SEND), Term::atom(""), kTo, Term(1)}),     // arity
      Term::tuple({Term(LINK), kFrom, Term::atom("x")}),           // not a pid
      Term::tuple({Term(UNLINK_ID), Term(-1), kFrom, kTo}),        // negative id
      Term::tuple({Term(MONITOR_P), kFrom, Term(1), kRef}),        // not a process
      Term::tuple({Term(ALIAS_SEND), kFrom, kFrom}),               // not a reference
      Term::tuple({Term(int64_t{1000}), kFrom, kTo}),              // op as INTEGER_EXT
      Term::list({Term(SEND)}),                                    // not a tuple
  };
  for (const Term& control : others) {
    SCOPED_TRACE(name_of(control));
    ControlHeader header;
    auto parsed = parse(encoded(control), header);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_FALSE(*parsed);
    EXPECT_FALSE(header_from_term(control, header));
  }
  // Latin-1 atoms are converted by the Term decoder; plain ASCII ones are
  // read in place. {6, Pid, '', 'é'} and {6, Pid, '', 'ok'} with ATOM_EXT.
  Bytes pid = encoded(kFrom);
  Bytes latin = {104, 4, 97, 6};
  latin.insert(latin.end(), pid.begin(), pid.end());
  Bytes ascii = latin;
  for (Bytes* b : {&latin, &ascii}) b->insert(b->end(), {100, 0, 0});  // ''
  latin.insert(latin.end(), {100, 0, 1, 0xe9});
  ascii.insert(ascii.end(), {100, 0, 2, 'o', 'k'});
  ControlHeader header;
  EXPECT_FALSE(*parse(latin, header));
  ASSERT_TRUE(*parse(ascii, header));
  EXPECT_EQ(header.to_name, "ok");
}

TEST(ControlHeaderTest, FromATermMatchesFromBytes) {
  for (const Term& control : carried()) {
    SCOPED_TRACE(name_of(control));
    ControlHeader header;
    ASSERT_TRUE(header_from_term(control, header));
    EXPECT_EQ(header.to_term(), control);
  }
  ControlHeader header;
  ASSERT_TRUE(header_from_term(
      Term::tuple({Term(UNLINK_ID), Term(BigInt{false, {1, 0, 0, 0, 0, 0, 0, 0x80}}), kFrom, kTo}),
      header));
  EXPECT_EQ(header.unlink_id, 0x8000000000000001u);
}

TEST(ControlHeaderTest, EveryTruncationIsAClearErrorOrLeftToTheDecoder) {
  for (const Term& control : carried()) {
    const Bytes bytes = encoded(control);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
      ControlHeader header;
      auto parsed = parse(prefix, header);
      if (parsed) {
        EXPECT_FALSE(*parsed) << name_of(control) << " cut at " << n;
      } else {
        EXPECT_EQ(parsed.error().code, Errc::malformed);
        EXPECT_FALSE(parsed.error().message.empty());
      }
    }
  }
  ControlHeader header;
  Bytes cut_bytes = encoded(carried()[2]);
  cut_bytes.resize(cut_bytes.size() - 3);
  auto cut = parse(cut_bytes, header);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("truncated: need a creation"), std::string::npos)
      << cut.error().message;
}

TEST(ControlHeaderTest, MalformedFieldsSayWhat) {
  ControlHeader header;
  // {19, Pid, Pid, Ref} whose reference claims 6 words.
  Bytes monitor = encoded(carried()[20]);
  const Bytes ref = encoded(kRef);
  const size_t at = monitor.size() - ref.size();
  ASSERT_EQ(monitor[at], etf::NEWER_REFERENCE_EXT);
  monitor[at + 2] = 6;
  auto words = parse(monitor, header);
  ASSERT_FALSE(words);
  EXPECT_NE(words.error().message.find("reference of 6 words"), std::string::npos)
      << words.error().message;

  // {1, Pid, Pid} whose first node name is not UTF-8.
  Bytes link = encoded(carried()[8]);
  ASSERT_EQ(link[5], etf::SMALL_ATOM_UTF8_EXT);
  link[7] = 0xff;
  auto utf8 = parse(link, header);
  ASSERT_FALSE(utf8);
  EXPECT_NE(utf8.error().message.find("not valid UTF-8"), std::string::npos)
      << utf8.error().message;
  EXPECT_NE(utf8.error().message.find("control message 1"), std::string::npos)
      << utf8.error().message;

  // An atom whose length runs past the end.
  Bytes send = encoded(carried()[0]);
  send[5] = 200;  // the '' atom's length
  auto past = parse(send, header);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::malformed);
}

TEST(ControlHeaderTest, AReasonOverTheDecodeLimitsIsLimitExceeded) {
  ControlHeader header;
  etf::DecodeLimits limits;
  limits.max_terms = 2;
  auto parsed = parse(encoded(carried()[12]), header, nullptr, limits);  // EXIT
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::limit_exceeded) << parsed.error().to_string();
}

TEST(ControlHeaderTest, HostileBytesNeverCrash) {
  std::mt19937 random(20261207);
  etf::AtomRefTable refs;
  refs.atoms = {Atom("b@host")};
  size_t parsed_ok = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto all = carried();
    Bytes bytes = encoded(all[random() % all.size()]);
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());
    ControlHeader header;
    auto parsed = parse(bytes, header, &refs);
    if (parsed && *parsed) {
      ++parsed_ok;
      EXPECT_LE(header.consumed, bytes.size());
      (void)header.to_term();
    }
  }
  EXPECT_GT(parsed_ok, 0u);  // some flips land in ids and keep the shape
}

}  // namespace
}  // namespace beamlink::dist
