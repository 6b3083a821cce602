// DNS replies as literal packets, read through c-ares's parsers: A, AAAA,
// SRV (target by compression pointer), a reply without records of the
// type, and a truncated one.
#include "discovery/cares_answers.h"

#include <ares.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace beamlink::discovery {
namespace {

using Bytes = std::vector<unsigned char>;

// A reply to "a.b" (type `type`) with `answers` records; each answer's name
// is a pointer to the question's (offset 12).
Bytes reply(uint8_t type, uint8_t answers, const Bytes& records) {
  Bytes out = {0x12, 0x34, 0x81, 0x80, 0, 1, 0,    answers, 0, 0, 0, 0,  // header
               1,    'a',  1,    'b',  0, 0, type, 0,       1};          // question
  out.insert(out.end(), records.begin(), records.end());
  return out;
}

// One record: name pointer, type, class IN, TTL 60, then RDATA.
Bytes record(uint8_t type, const Bytes& rdata) {
  Bytes out = {0xc0, 0x0c, 0, type, 0, 1, 0, 0, 0, 60, 0, static_cast<unsigned char>(rdata.size())};
  out.insert(out.end(), rdata.begin(), rdata.end());
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(CaresAnswers, ARecords) {
  Bytes packet = reply(1, 2, concat(record(1, {10, 0, 0, 1}), record(1, {10, 0, 0, 2})));
  auto addresses = parse_address_reply(false, packet, "DNS A a.b");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_EQ(*addresses, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
}

TEST(CaresAnswers, AaaaRecordsAreWrittenAsInetNtopDoes) {
  Bytes v6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  auto addresses = parse_address_reply(true, reply(28, 1, record(28, v6)), "DNS AAAA a.b");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_EQ(*addresses, (std::vector<std::string>{"fd00::1"}));
}

TEST(CaresAnswers, SrvRecords) {
  Bytes rdata = {0, 10, 0, 50, 0x11, 0x11, 5, 'a', 'p', 'p', '-', '0', 0xc0, 0x0c};
  auto records = parse_srv_reply(reply(33, 1, record(33, rdata)), "DNS SRV a.b");
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].target, "app-0.a.b");
  EXPECT_EQ((*records)[0].priority, 10);
  EXPECT_EQ((*records)[0].weight, 50);
  EXPECT_EQ((*records)[0].port, 4369);
}

TEST(CaresAnswers, NoRecordsOfTheTypeIsAnEmptyAnswer) {
  auto addresses = parse_address_reply(true, reply(28, 1, record(1, {10, 0, 0, 1})), "x");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_TRUE(addresses->empty());
  auto records = parse_srv_reply(reply(33, 0, {}), "x");
  ASSERT_TRUE(records) << records.error().message;
  EXPECT_TRUE(records->empty());
}

TEST(CaresAnswers, ATruncatedReplyIsMalformed) {
  Bytes packet = reply(1, 1, record(1, {10, 0, 0, 1}));
  packet.resize(packet.size() - 2);  // RDATA cut short
  auto addresses = parse_address_reply(false, packet, "DNS A a.b");
  ASSERT_FALSE(addresses);
  EXPECT_EQ(addresses.error().code, Errc::malformed);
  EXPECT_EQ(addresses.error().message, "DNS A a.b: ARES_EBADRESP (Misformatted DNS reply)");
}

TEST(CaresAnswers, StatusesAsErrors) {
  EXPECT_EQ(cares_error("q", ARES_ETIMEOUT).code, Errc::timeout);
  EXPECT_EQ(cares_error("q", ARES_EREFUSED).code, Errc::refused);
  EXPECT_EQ(cares_error("q", ARES_ESERVFAIL).code, Errc::io);
  EXPECT_EQ(cares_error("q", ARES_ESERVFAIL).message,
            "q: ARES_ESERVFAIL (DNS server returned general failure)");
  EXPECT_EQ(cares_status_name(999), "c-ares status 999");
}

}  // namespace
}  // namespace beamlink::discovery
