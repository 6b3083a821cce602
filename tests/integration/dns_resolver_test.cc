// The c-ares resolver against real servers on loopback: dnsmasq for
// answers (A, AAAA, SRV, NXDOMAIN, NODATA, REFUSED, an answer too big for
// UDP), a socket that answers SERVFAIL, one that never answers and a port
// where nothing listens. A missing dnsmasq fails the tests.
#include "discovery/dns_resolver.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>

#include "integration/support/dns_server.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using discovery::AddressAnswer;
using discovery::AddressFamily;
using discovery::DnsResolver;
using discovery::SrvAnswer;
using testing::BrokenDnsServer;
using Clock = std::chrono::steady_clock;
using Strings = std::vector<std::string>;

const std::string kPods = "pods.default.svc.cluster.local";

template <class Answer>
struct Outcome {
  std::optional<Result<Answer>> result;
  std::chrono::milliseconds took{0};
};

class CaresResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::DnsRecords records;
    records.hosts = {{kPods, "127.0.0.2"},
                     {kPods, "127.0.0.3"},
                     {kPods, "::1"},
                     {"v4only.default.svc.cluster.local", "127.0.0.9"}};
    for (int i = 0; i < 100; ++i) {
      records.hosts.push_back({"many.default.svc.cluster.local", "10.1.0." + std::to_string(i)});
    }
    records.srv = {
        {"app.default.svc.cluster.local", "app-0.app.default.svc.cluster.local", 4369, 10, 50},
        {"app.default.svc.cluster.local", "app-1.app.default.svc.cluster.local", 4370, 20, 60}};
    auto server = testing::Dnsmasq::start("127.0.0.1", records);
    ASSERT_TRUE(server) << server.error();
    dnsmasq_.emplace(std::move(*server));
  }

  std::unique_ptr<DnsResolver> resolver(const Strings& servers,
                                        std::chrono::milliseconds timeout = 1000ms) {
    discovery::DnsResolverOptions options;
    options.timeout = timeout;
    for (const auto& entry : servers) {
      auto server = discovery::parse_nameserver(entry);
      EXPECT_TRUE(server) << entry;
      if (server) options.nameservers.push_back(*server);
    }
    auto made = discovery::make_cares_resolver(io_, options);
    EXPECT_TRUE(made) << made.error().message;
    return made ? std::move(*made) : nullptr;
  }
  std::unique_ptr<DnsResolver> dnsmasq_resolver() { return resolver({dnsmasq_->endpoint()}); }

  // Runs the io_context until the answer is in (at most 10 s).
  template <class Answer>
  void run(Outcome<Answer>& outcome, Clock::time_point start) {
    for (auto deadline = start + 10s; !outcome.result && Clock::now() < deadline;) {
      io_.restart();
      io_.run_for(5ms);
    }
    ASSERT_TRUE(outcome.result) << "no answer in 10 s";
  }

  Outcome<AddressAnswer> addresses(DnsResolver& r, const std::string& name,
                                   AddressFamily family = AddressFamily::ipv4) {
    Outcome<AddressAnswer> outcome;
    auto start = Clock::now();
    r.resolve_addresses(name, family, [&, start](Result<AddressAnswer> answer) {
      outcome.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      if (answer) std::sort(answer->addresses.begin(), answer->addresses.end());
      outcome.result = std::move(answer);
    });
    run(outcome, start);
    return outcome;
  }

  Outcome<SrvAnswer> srv(DnsResolver& r, const std::string& name) {
    Outcome<SrvAnswer> outcome;
    auto start = Clock::now();
    r.resolve_srv(name, [&](Result<SrvAnswer> answer) { outcome.result = std::move(answer); });
    run(outcome, start);
    return outcome;
  }

  asio::io_context io_;
  std::optional<testing::Dnsmasq> dnsmasq_;
};

TEST_F(CaresResolverTest, AAndAaaaRecords) {
  auto r = dnsmasq_resolver();
  auto v4 = addresses(*r, kPods, AddressFamily::ipv4);
  ASSERT_TRUE(*v4.result) << v4.result->error().message;
  EXPECT_EQ((*v4.result)->addresses, (Strings{"127.0.0.2", "127.0.0.3"}));
  EXPECT_TRUE((*v4.result)->name_exists);
  auto v6 = addresses(*r, kPods, AddressFamily::ipv6);
  ASSERT_TRUE(*v6.result) << v6.result->error().message;
  EXPECT_EQ((*v6.result)->addresses, (Strings{"::1"}));
}

TEST_F(CaresResolverTest, NxdomainAndNodataAreAnswersWithoutRecords) {
  auto r = dnsmasq_resolver();
  auto gone = addresses(*r, "gone.default.svc.cluster.local");
  ASSERT_TRUE(*gone.result) << gone.result->error().message;
  EXPECT_TRUE((*gone.result)->addresses.empty());
  EXPECT_FALSE((*gone.result)->name_exists);

  auto nodata = addresses(*r, "v4only.default.svc.cluster.local", AddressFamily::ipv6);
  ASSERT_TRUE(*nodata.result) << nodata.result->error().message;
  EXPECT_TRUE((*nodata.result)->addresses.empty());
  EXPECT_TRUE((*nodata.result)->name_exists);

  auto no_srv = srv(*r, "gone.default.svc.cluster.local");
  ASSERT_TRUE(*no_srv.result);
  EXPECT_FALSE((*no_srv.result)->name_exists);
}

TEST_F(CaresResolverTest, SrvRecords) {
  auto r = dnsmasq_resolver();
  auto answer = srv(*r, "app.default.svc.cluster.local");
  ASSERT_TRUE(*answer.result) << answer.result->error().message;
  auto records = (*answer.result)->records;
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.target < b.target; });
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].target, "app-0.app.default.svc.cluster.local");
  EXPECT_EQ(records[0].port, 4369);
  EXPECT_EQ(records[0].priority, 10);
  EXPECT_EQ(records[0].weight, 50);
  EXPECT_EQ(records[1].target, "app-1.app.default.svc.cluster.local");
  EXPECT_EQ(records[1].port, 4370);
}

// Names are searched as the system resolver does: LOCALDOMAIN (read by
// c-ares like resolv.conf's search line) completes a short name.
TEST_F(CaresResolverTest, AShortNameIsCompletedFromTheSearchList) {
  ::setenv("LOCALDOMAIN", "other.svc.cluster.local default.svc.cluster.local", 1);
  auto r = dnsmasq_resolver();
  ::unsetenv("LOCALDOMAIN");
  auto answer = addresses(*r, "pods");
  ASSERT_TRUE(*answer.result) << answer.result->error().message;
  EXPECT_EQ((*answer.result)->addresses, (Strings{"127.0.0.2", "127.0.0.3"}));
  auto absolute = addresses(*r, "pods.");
  ASSERT_TRUE(*absolute.result) << absolute.result->error().message;
  EXPECT_FALSE((*absolute.result)->name_exists);
}

// A short name's two families end differently on a server that answers
// only its own zone and has no upstream, as in an air-gapped cluster: the
// A lookup is answered under the first search domain; the AAAA lookup
// finds no record under any (NODATA, then NXDOMAIN) and ends at the bare
// name, which is REFUSED. Each family is its own lookup, so the A answer
// is not lost with the AAAA failure (the strategies join them).
TEST_F(CaresResolverTest, AShortNamesAaaaFailsWhereItsAIsAnswered) {
  testing::DnsRecords records;
  records.hosts = {{"v4only.default.svc.cluster.local", "127.0.0.9"}};
  records.local_zones = {"cluster.local"};
  ASSERT_TRUE(dnsmasq_->restart(records)) << dnsmasq_->output();
  ASSERT_EQ(testing::dns_rcode("127.0.0.1", dnsmasq_->port(), "v4only", 28), 5);
  ::setenv("LOCALDOMAIN", "default.svc.cluster.local svc.cluster.local cluster.local", 1);
  auto r = dnsmasq_resolver();
  ::unsetenv("LOCALDOMAIN");
  auto a = addresses(*r, "v4only", AddressFamily::ipv4);
  ASSERT_TRUE(*a.result) << a.result->error().message;
  EXPECT_EQ((*a.result)->addresses, (Strings{"127.0.0.9"}));
  auto aaaa = addresses(*r, "v4only", AddressFamily::ipv6);
  ASSERT_FALSE(*aaaa.result);
  EXPECT_EQ(aaaa.result->error().code, Errc::refused);
  EXPECT_EQ(aaaa.result->error().message,
            "DNS AAAA v4only: ARES_EREFUSED (DNS server refused query)");
}

// 100 A records do not fit a 512-byte UDP answer: c-ares asks again over TCP.
TEST_F(CaresResolverTest, AnAnswerTooBigForUdpComesOverTcp) {
  auto r = dnsmasq_resolver();
  auto many = addresses(*r, "many.default.svc.cluster.local");
  ASSERT_TRUE(*many.result) << many.result->error().message;
  EXPECT_EQ((*many.result)->addresses.size(), 100u);
}

TEST_F(CaresResolverTest, ManyLookupsAtOnce) {
  auto r = dnsmasq_resolver();
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    const bool ipv6 = i % 2 == 1;
    r->resolve_addresses(kPods, ipv6 ? AddressFamily::ipv6 : AddressFamily::ipv4,
                         [&, ipv6](const Result<AddressAnswer>& answer) {
                           size_t found = 0;
                           if (answer.has_value()) found = answer.value().addresses.size();
                           EXPECT_EQ(found, ipv6 ? 1u : 2u);
                           ++answered;
                         });
  }
  for (auto deadline = Clock::now() + 10s; answered < 20 && Clock::now() < deadline;) {
    io_.restart();
    io_.run_for(5ms);
  }
  EXPECT_EQ(answered, 20);
}

TEST_F(CaresResolverTest, RefusedIsAnError) {
  testing::DnsRecords no_zones;
  no_zones.local_zones.clear();  // it serves nothing: every name is refused
  ASSERT_TRUE(dnsmasq_->restart(no_zones)) << dnsmasq_->output();
  ASSERT_EQ(testing::dns_rcode("127.0.0.1", dnsmasq_->port(), "x.example.org", 1), 5);
  auto r = dnsmasq_resolver();
  auto refused = addresses(*r, "x.example.org");
  ASSERT_FALSE(*refused.result);
  EXPECT_EQ(refused.result->error().code, Errc::refused);
  EXPECT_EQ(refused.result->error().message,
            "DNS A x.example.org: ARES_EREFUSED (DNS server refused query)");
}

TEST_F(CaresResolverTest, ServfailIsAnError) {
  uint16_t port = testing::free_port();
  auto broken = BrokenDnsServer::start(BrokenDnsServer::Mode::servfail, "127.0.0.1", port);
  ASSERT_TRUE(broken);
  ASSERT_EQ(testing::dns_rcode("127.0.0.1", port, kPods, 1), 2);
  auto r = resolver({"127.0.0.1:" + std::to_string(port)});
  auto failed = addresses(*r, kPods);
  ASSERT_FALSE(*failed.result);
  EXPECT_EQ(failed.result->error().code, Errc::io);
  EXPECT_NE(failed.result->error().message.find("DNS A"), std::string::npos);
  EXPECT_NE(failed.result->error().message.find(kPods + ": ARES_ESERVFAIL"), std::string::npos)
      << failed.result->error().message;
  EXPECT_LT(failed.took, 1000ms);
}

TEST_F(CaresResolverTest, ASilentServerTimesOutWithinTheBound) {
  uint16_t port = testing::free_port();
  auto silent = BrokenDnsServer::start(BrokenDnsServer::Mode::silent, "127.0.0.1", port);
  ASSERT_TRUE(silent);
  auto r = resolver({"127.0.0.1:" + std::to_string(port)}, 400ms);
  auto timed_out = addresses(*r, kPods);
  ASSERT_FALSE(*timed_out.result);
  EXPECT_EQ(timed_out.result->error().code, Errc::timeout);
  EXPECT_NE(timed_out.result->error().message.find("ARES_ETIMEOUT"), std::string::npos)
      << timed_out.result->error().message;
  EXPECT_GE(timed_out.took, 350ms);
  EXPECT_LT(timed_out.took, 1000ms);
}

TEST_F(CaresResolverTest, NoServerListeningIsAnError) {
  auto r = resolver({"127.0.0.1:" + std::to_string(testing::free_port())}, 400ms);
  auto failed = addresses(*r, kPods);
  ASSERT_FALSE(*failed.result);
  EXPECT_LT(failed.took, 1000ms);
}

TEST_F(CaresResolverTest, TheNextServerAnswersWhenTheFirstIsSilent) {
  uint16_t port = testing::free_port();
  auto silent = BrokenDnsServer::start(BrokenDnsServer::Mode::silent, "127.0.0.1", port);
  ASSERT_TRUE(silent);
  auto r = resolver({"127.0.0.1:" + std::to_string(port), dnsmasq_->endpoint()}, 1000ms);
  // Absolute: each search-list try would wait for the silent server again.
  auto answer = addresses(*r, kPods + ".");
  ASSERT_TRUE(*answer.result) << answer.result->error().message;
  EXPECT_EQ((*answer.result)->addresses.size(), 2u);
  EXPECT_LT(answer.took, 1000ms);
}

// With several servers, SERVFAIL moves on to the next one; when every one
// fails, c-ares reports it as ARES_ECONNREFUSED.
TEST_F(CaresResolverTest, TheNextServerAnswersWhenTheFirstFails) {
  uint16_t port = testing::free_port();
  auto broken = BrokenDnsServer::start(BrokenDnsServer::Mode::servfail, "127.0.0.1", port);
  ASSERT_TRUE(broken);
  const std::string failing = "127.0.0.1:" + std::to_string(port);
  auto r = resolver({failing, dnsmasq_->endpoint()});
  auto answer = addresses(*r, kPods);
  ASSERT_TRUE(*answer.result) << answer.result->error().message;
  EXPECT_EQ((*answer.result)->addresses.size(), 2u);
  EXPECT_GE(broken->questions(), 1u);

  auto both_fail = resolver({failing, failing});
  auto failed = addresses(*both_fail, kPods);
  ASSERT_FALSE(*failed.result);
  EXPECT_EQ(failed.result->error().message,
            "DNS A " + kPods + ": ARES_ECONNREFUSED (Could not contact DNS servers)");
}

TEST_F(CaresResolverTest, DestroyingTheResolverCancelsItsLookups) {
  uint16_t port = testing::free_port();
  auto silent = BrokenDnsServer::start(BrokenDnsServer::Mode::silent, "127.0.0.1", port);
  ASSERT_TRUE(silent);
  auto r = resolver({"127.0.0.1:" + std::to_string(port)}, 200ms);
  bool called = false;
  r->resolve_addresses(kPods, AddressFamily::ipv4, [&](Result<AddressAnswer>) { called = true; });
  r->resolve_addresses(kPods, AddressFamily::ipv6, [&](Result<AddressAnswer>) { called = true; });
  r->resolve_srv(kPods, [&](Result<SrvAnswer>) { called = true; });
  io_.run_for(20ms);
  r.reset();
  io_.restart();
  io_.run_for(600ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace beamlink
