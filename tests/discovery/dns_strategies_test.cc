// The DNS strategies against a scripted resolver: what they ask, how they
// name nodes, the empty-answer debounce, failures keeping the set, and the
// options each accepts or refuses.
#include "discovery/dns_strategies.h"

#include <gtest/gtest.h>

#include <deque>
#include <variant>

#include "discovery/strategy_table.h"
#include "recording_host.h"

namespace beamlink::discovery {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

// What the strategy asked, and the callback the test answers through.
struct Question {
  std::string name;
  std::string types;  // "A", "AAAA" or "SRV"
  std::variant<DnsResolver::AddressCallback, DnsResolver::SrvCallback> answer;
};

struct ResolverLog {
  std::deque<Question> questions;
  DnsResolverOptions options;
  int made = 0;
  bool destroyed = false;
};

class ScriptedResolver final : public DnsResolver {
 public:
  explicit ScriptedResolver(std::shared_ptr<ResolverLog> log) : log_(std::move(log)) {}
  ~ScriptedResolver() override {
    log_->destroyed = true;
    log_->questions.clear();  // destroying a resolver drops its callbacks
  }
  void resolve_addresses(const std::string& name, AddressFamily family,
                         AddressCallback done) override {
    log_->questions.push_back(
        {name, family == AddressFamily::ipv4 ? "A" : "AAAA", std::move(done)});
  }
  void resolve_srv(const std::string& name, SrvCallback done) override {
    log_->questions.push_back({name, "SRV", std::move(done)});
  }

 private:
  std::shared_ptr<ResolverLog> log_;
};

class DnsStrategyTest : public ::testing::Test {
 protected:
  void start(DnsStrategyKind kind, StrategyOptions options) {
    auto made = make_dns_strategy(kind, {"dns_test", "dns", std::move(options)}, factory());
    ASSERT_TRUE(made) << made.error().message;
    strategy_ = std::move(*made);
    ASSERT_TRUE(strategy_->start(host_));
  }

  DnsResolverFactory factory() {
    return [log = log_](asio::io_context&,
                        const DnsResolverOptions& options) -> Result<std::unique_ptr<DnsResolver>> {
      log->options = options;
      log->made++;
      return std::make_unique<ScriptedResolver>(log);
    };
  }

  // The next question, once the strategy has asked it (polls are 10 ms apart).
  Question next_question() {
    EXPECT_TRUE(host_.run_until([&] { return !log_->questions.empty(); })) << "no question asked";
    if (log_->questions.empty()) return {};
    Question q = std::move(log_->questions.front());
    log_->questions.pop_front();
    return q;
  }

  void answer_srv(Result<SrvAnswer> reply) {
    std::get<DnsResolver::SrvCallback>(next_question().answer)(std::move(reply));
  }
  // A poll answered: the IPv4 addresses of `list` as A records, the IPv6
  // ones as AAAA records.
  void addresses(const Strings& list) {
    AddressAnswer a{{}, true};
    AddressAnswer aaaa{{}, true};
    for (const auto& address : list) {
      (address.find(':') == std::string::npos ? a : aaaa).addresses.push_back(address);
    }
    answer_families(std::move(a), std::move(aaaa));
  }
  void no_records() { answer_families(AddressAnswer{{}, true}, AddressAnswer{{}, true}); }
  void nxdomain() { answer_families(AddressAnswer{{}, false}, AddressAnswer{{}, false}); }
  void servfail() {
    answer_families(std::unexpected(general_failure("A", "svc")),
                    std::unexpected(general_failure("AAAA", "svc")));
  }

  // Answers the next poll: `a` to its A question and `aaaa` to its AAAA
  // one, both asked at once.
  void answer_families(Result<AddressAnswer> a, Result<AddressAnswer> aaaa) {
    Question q = next_question();
    ASSERT_EQ(q.types, "A");
    Question q6 = next_question();
    ASSERT_EQ(q6.types, "AAAA");
    std::get<DnsResolver::AddressCallback>(q.answer)(std::move(a));
    std::get<DnsResolver::AddressCallback>(q6.answer)(std::move(aaaa));
  }
  static Error refused(const std::string& family, const std::string& name) {
    return Error{Errc::refused,
                 "DNS " + family + " " + name + ": ARES_EREFUSED (DNS server refused query)"};
  }
  static Error general_failure(const std::string& family, const std::string& name) {
    return Error{Errc::io, "DNS " + family + " " + name +
                               ": ARES_ESERVFAIL (DNS server returned general failure)"};
  }
  void start_short_service() {
    start(DnsStrategyKind::kubernetes_dns, {{"service", std::string("myapp-headless")},
                                            {"application_name", std::string("myapp")},
                                            {"polling_interval", int64_t{10}}});
  }

  StrategyOptions dns_poll(StrategyOptions extra = {}) {
    StrategyOptions options = {{"query", std::string("nodes.example.org")},
                               {"node_basename", std::string("app")},
                               {"polling_interval", int64_t{10}}};
    extra.merge(options);
    return extra;
  }

  std::shared_ptr<ResolverLog> log_ = std::make_shared<ResolverLog>();
  RecordingHost host_{"app@10.0.0.1"};
  std::unique_ptr<Strategy> strategy_;
};

TEST_F(DnsStrategyTest, KubernetesDnsAsksTheServiceAndNamesNodesByAddress) {
  start(DnsStrategyKind::kubernetes_dns,
        {{"service", std::string("myapp-headless.default.svc.cluster.local")},
         {"application_name", std::string("myapp")},
         {"polling_interval", int64_t{10}}});
  Question q = next_question();
  Question q6 = next_question();
  EXPECT_EQ(q.name, "myapp-headless.default.svc.cluster.local");
  EXPECT_EQ(q.types, "A");
  EXPECT_EQ(q6.name, "myapp-headless.default.svc.cluster.local");
  EXPECT_EQ(q6.types, "AAAA");
  std::get<DnsResolver::AddressCallback>(q.answer)(
      AddressAnswer{{"10.0.0.2", "10.0.0.1", "10.0.0.2"}, true});
  EXPECT_TRUE(host_.published.empty()) << "published before the AAAA answer";
  std::get<DnsResolver::AddressCallback>(q6.answer)(AddressAnswer{{"fd00::1"}, true});
  ASSERT_EQ(host_.published.size(), 1u);
  EXPECT_EQ(host_.published[0], (Strings{"myapp@10.0.0.1", "myapp@10.0.0.2", "myapp@fd00::1"}));
  EXPECT_TRUE(strategy_->prunes());
  EXPECT_EQ(log_->options.timeout, 2000ms);
  EXPECT_TRUE(log_->options.nameservers.empty());
}

TEST_F(DnsStrategyTest, KubernetesDnsSrvBuildsTheServiceNameAndUsesTargets) {
  start(DnsStrategyKind::kubernetes_dnssrv, {{"service", std::string("myapp-headless")},
                                             {"application_name", std::string("myapp")},
                                             {"polling_interval", int64_t{10}}});
  Question q = next_question();
  EXPECT_EQ(q.name, "myapp-headless.default.svc.cluster.local.");  // absolute: no search list
  EXPECT_EQ(q.types, "SRV");
  std::get<DnsResolver::SrvCallback>(q.answer)(
      SrvAnswer{{{"myapp-1.myapp-headless.default.svc.cluster.local", 4369, 10, 50},
                 {"myapp-0.myapp-headless.default.svc.cluster.local", 4369, 10, 50}},
                true});
  ASSERT_EQ(host_.published.size(), 1u);
  EXPECT_EQ(host_.published[0],
            (Strings{"myapp@myapp-0.myapp-headless.default.svc.cluster.local",
                     "myapp@myapp-1.myapp-headless.default.svc.cluster.local"}));
}

TEST_F(DnsStrategyTest, KubernetesDnsSrvNamespaceAndClusterDomain) {
  start(DnsStrategyKind::kubernetes_dnssrv, {{"service", std::string("db")},
                                             {"namespace", std::string("prod")},
                                             {"cluster_domain", std::string("k8s.internal.")},
                                             {"application_name", std::string("db")}});
  EXPECT_EQ(next_question().name, "db.prod.svc.k8s.internal.");
}

TEST_F(DnsStrategyTest, DnsPollAsksOnlyTheChosenFamilies) {
  start(DnsStrategyKind::dns_poll, dns_poll({{"ipv6", false}}));
  Question q = next_question();
  EXPECT_EQ(q.name, "nodes.example.org");
  EXPECT_EQ(q.types, "A");
  std::get<DnsResolver::AddressCallback>(q.answer)(AddressAnswer{{"192.0.2.7"}, true});
  EXPECT_EQ(host_.published.back(), (Strings{"app@192.0.2.7"}));
  strategy_->stop();
  strategy_.reset();

  start(DnsStrategyKind::dns_poll, dns_poll({{"ipv4", false}}));
  EXPECT_EQ(next_question().types, "AAAA");
}

TEST_F(DnsStrategyTest, EmptyAnswersEmptyTheSetOnlyAfterEmptyPollsInARow) {
  start(DnsStrategyKind::dns_poll, dns_poll());
  addresses({"10.0.0.2", "10.0.0.3"});
  no_records();
  nxdomain();
  EXPECT_EQ(host_.published.size(), 1u) << "two empty answers must not replace the set";
  EXPECT_EQ(host_.logged(LogLevel::warning, "no records (1 of 3"), 1u);
  EXPECT_EQ(host_.logged(LogLevel::warning, "NXDOMAIN (2 of 3"), 1u);
  EXPECT_EQ(host_.logged(LogLevel::warning, "keeping the 2 known node(s)"), 2u);
  nxdomain();
  ASSERT_EQ(host_.published.size(), 2u);
  EXPECT_TRUE(host_.published.back().empty());
  EXPECT_EQ(host_.logged(LogLevel::info, "NXDOMAIN (3 of 3): the set is now empty"), 1u);

  // Once empty, further empty answers change nothing and warn no more.
  nxdomain();
  EXPECT_TRUE(host_.published.back().empty());
  EXPECT_EQ(host_.logged(LogLevel::warning, "keeping"), 2u);
}

// This node counts for nothing: an answer of only itself leaves nothing to keep.
TEST_F(DnsStrategyTest, ThisNodeIsNotCountedAsKept) {
  start(DnsStrategyKind::dns_poll, dns_poll());
  addresses({"10.0.0.1", "10.0.0.2"});
  no_records();
  EXPECT_EQ(host_.logged(LogLevel::warning, "keeping the 1 known node(s)"), 1u);
  addresses({"10.0.0.1"});
  no_records();
  EXPECT_TRUE(host_.published.back().empty());
  EXPECT_EQ(host_.logged(LogLevel::warning, "keeping"), 1u);
}

TEST_F(DnsStrategyTest, TheEmptyStreakIsBrokenByRecordsAndByFailures) {
  start(DnsStrategyKind::dns_poll, dns_poll({{"empty_polls", int64_t{2}}}));
  addresses({"10.0.0.2"});
  no_records();
  addresses({"10.0.0.2"});  // breaks the streak
  no_records();
  servfail();  // so does a failure
  no_records();
  for (const auto& set : host_.published) EXPECT_FALSE(set.empty());
  no_records();
  EXPECT_TRUE(host_.published.back().empty());
}

TEST_F(DnsStrategyTest, OneEmptyPollEmptiesAtOnce) {
  start(DnsStrategyKind::dns_poll, dns_poll({{"empty_polls", int64_t{1}}}));
  addresses({"10.0.0.2"});
  nxdomain();
  ASSERT_EQ(host_.published.size(), 2u);
  EXPECT_TRUE(host_.published.back().empty());
}

TEST_F(DnsStrategyTest, AnEmptyFirstAnswerIsPublishedQuietly) {
  start(DnsStrategyKind::dns_poll, dns_poll());
  nxdomain();
  ASSERT_EQ(host_.published.size(), 1u);
  EXPECT_TRUE(host_.published[0].empty());
  EXPECT_EQ(host_.logged(LogLevel::warning, "NXDOMAIN"), 0u);
  addresses({"10.0.0.9"});
  EXPECT_EQ(host_.published.back(), (Strings{"app@10.0.0.9"}));
}

TEST_F(DnsStrategyTest, AFailedLookupKeepsTheSetAndIsReported) {
  start(DnsStrategyKind::dns_poll, dns_poll());
  addresses({"10.0.0.1", "10.0.0.2"});
  servfail();
  answer_families(fail(Errc::timeout, "DNS A svc: ARES_ETIMEOUT (no answer within 2000 ms)"),
                  fail(Errc::timeout, "DNS AAAA svc: ARES_ETIMEOUT (no answer within 2000 ms)"));
  EXPECT_EQ(host_.published.size(), 1u);
  ASSERT_EQ(host_.failures.size(), 2u);
  EXPECT_EQ(host_.failures[0],
            "i/o error: DNS A svc: ARES_ESERVFAIL (DNS server returned general failure); DNS AAAA "
            "svc: ARES_ESERVFAIL (DNS server returned general failure)");
  EXPECT_NE(host_.failures[1].find("ARES_ETIMEOUT"), std::string::npos);
  // And polling goes on.
  addresses({"10.0.0.3"});
  EXPECT_EQ(host_.published.back(), (Strings{"app@10.0.0.3"}));
}

// A short service name is completed by the pod's search list; where it
// ends, at the bare name, a DNS server without an upstream refuses the
// AAAA question that no search domain answered. The A answer stands alone.
TEST_F(DnsStrategyTest, EachAddressFamilyStandsOnItsOwn) {
  start_short_service();
  answer_families(AddressAnswer{{"10.0.0.2", "10.0.0.3"}, true},
                  std::unexpected(refused("AAAA", "myapp-headless")));
  ASSERT_EQ(host_.published.size(), 1u);
  EXPECT_EQ(host_.published[0], (Strings{"myapp@10.0.0.2", "myapp@10.0.0.3"}));
  EXPECT_TRUE(host_.failures.empty()) << host_.failures[0];
  EXPECT_EQ(host_.logged(LogLevel::debug, "DNS AAAA myapp-headless: ARES_EREFUSED"), 1u);
  EXPECT_EQ(host_.logged(LogLevel::warning, "ARES_EREFUSED"), 0u);

  // And the other way round: AAAA answers, A fails.
  answer_families(std::unexpected(general_failure("A", "myapp-headless")),
                  AddressAnswer{{"fd00::2"}, true});
  ASSERT_EQ(host_.published.size(), 2u);
  EXPECT_EQ(host_.published[1], (Strings{"myapp@fd00::2"}));
  EXPECT_TRUE(host_.failures.empty()) << host_.failures[0];
  EXPECT_EQ(host_.logged(LogLevel::debug, "DNS A myapp-headless: ARES_ESERVFAIL"), 1u);
}

TEST_F(DnsStrategyTest, BothFamiliesFailingIsAFailedLookup) {
  start_short_service();
  answer_families(AddressAnswer{{"10.0.0.2"}, true}, AddressAnswer{{}, true});
  answer_families(std::unexpected(general_failure("A", "myapp-headless")),
                  std::unexpected(refused("AAAA", "myapp-headless")));
  EXPECT_EQ(host_.published.size(), 1u);  // the set is kept
  ASSERT_EQ(host_.failures.size(), 1u);
  EXPECT_NE(host_.failures[0].find("DNS A myapp-headless: ARES_ESERVFAIL"), std::string::npos)
      << host_.failures[0];
  EXPECT_NE(host_.failures[0].find("DNS AAAA myapp-headless: ARES_EREFUSED"), std::string::npos)
      << host_.failures[0];
}

// A family that answers with no records is an answer: with the other
// family failing, the poll counts as empty, so a deleted service still
// empties the set after empty_polls, where AAAA always fails.
TEST_F(DnsStrategyTest, AnEmptyFamilyBesideAFailedOneIsAnEmptyAnswer) {
  start_short_service();
  answer_families(AddressAnswer{{"10.0.0.2"}, true},
                  std::unexpected(refused("AAAA", "myapp-headless")));
  for (int i = 0; i < 3; ++i) {
    answer_families(AddressAnswer{{}, false}, std::unexpected(refused("AAAA", "myapp-headless")));
  }
  EXPECT_TRUE(host_.failures.empty()) << host_.failures[0];
  ASSERT_EQ(host_.published.size(), 2u);
  EXPECT_TRUE(host_.published.back().empty());
  EXPECT_EQ(host_.logged(LogLevel::info, "NXDOMAIN (3 of 3): the set is now empty"), 1u);
}

TEST_F(DnsStrategyTest, UnusableTargetsAreDropped) {
  start(DnsStrategyKind::kubernetes_dnssrv,
        {{"service", std::string("s")}, {"application_name", std::string("a")}});
  answer_srv(
      SrvAnswer{{{"good.example", 1, 1, 1}, {"bad target", 1, 1, 1}, {"x@y", 1, 1, 1}}, true});
  EXPECT_EQ(host_.published.back(), (Strings{"a@good.example"}));
  EXPECT_EQ(host_.drops.size(), 2u);
}

TEST_F(DnsStrategyTest, StopDestroysTheResolverAndNothingRunsAfter) {
  start(DnsStrategyKind::dns_poll, dns_poll());
  addresses({"10.0.0.2"});
  ASSERT_TRUE(host_.run_until([&] { return !log_->questions.empty(); }));
  strategy_->stop();
  EXPECT_TRUE(log_->destroyed);
  host_.run_until([] { return false; }, 50ms);
  EXPECT_EQ(host_.published.size(), 1u);
  EXPECT_EQ(log_->made, 1);
}

TEST_F(DnsStrategyTest, ResolverOptionsArePassedOn) {
  start(DnsStrategyKind::dns_poll,
        dns_poll({{"nameservers", Strings{"10.96.0.10", "127.0.0.1:5353", "[::1]:53"}},
                  {"timeout", std::string("750ms")}}));
  next_question();
  ASSERT_EQ(log_->options.nameservers.size(), 3u);
  EXPECT_EQ(log_->options.nameservers[1].address, "127.0.0.1");
  EXPECT_EQ(log_->options.nameservers[1].port, 5353);
  EXPECT_TRUE(log_->options.nameservers[2].ipv6);
  EXPECT_EQ(log_->options.timeout, 750ms);
}

TEST_F(DnsStrategyTest, AResolverThatCannotBeMadeFailsStart) {
  auto made = make_dns_strategy(
      DnsStrategyKind::dns_poll, {"dns_test", "dns_poll", dns_poll()},
      [](asio::io_context&, const DnsResolverOptions&) -> Result<std::unique_ptr<DnsResolver>> {
        return fail(Errc::io, "c-ares init: ARES_ENOMEM");
      });
  ASSERT_TRUE(made);
  auto started = (*made)->start(host_);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message, "DNS resolver: c-ares init: ARES_ENOMEM");
}

// The factory's answer for these options: "made" or the error message.
std::string made(std::string_view strategy, StrategyOptions options) {
  auto created = create_strategy({"t", std::string(strategy), std::move(options)});
  return created ? "made" : created.error().message;
}

TEST(DnsStrategyOptions, AreChecked) {
  const std::string srv = "topology 't' (strategy kubernetes_dnssrv): option ";
  const std::string poll = "topology 't' (strategy dns_poll): option ";
  const std::string k8s = "topology 't' (strategy kubernetes_dns): option ";
  const StrategyOptions app = {{"application_name", std::string("app")}};

  EXPECT_EQ(made("kubernetes_dns", {{"service", std::string("a.b.svc.cluster.local")},
                                    {"application_name", std::string("app")},
                                    {"polling_interval", std::string("2s")},
                                    {"timeout", int64_t{500}},
                                    {"empty_polls", int64_t{5}},
                                    {"nameservers", Strings{"fd00::10"}},
                                    {"ipv4", true},
                                    {"ipv6", false}}),
            "made");
  EXPECT_EQ(made("kubernetes_dnssrv", {{"service", std::string("s")},
                                       {"namespace", std::string("n")},
                                       {"cluster_domain", std::string("cluster.local")},
                                       {"application_name", std::string("app")}}),
            "made");
  EXPECT_EQ(made("kubernetes_dns", app), k8s + "service is required");
  EXPECT_EQ(made("kubernetes_dns", {{"service", std::string("s")}}),
            k8s + "application_name is required");
  EXPECT_EQ(made("kubernetes_dns",
                 {{"service", std::string("s")}, {"application_name", std::string("a@b")}}),
            k8s + "application_name must be a node name's part before '@', got \"a@b\"");
  EXPECT_EQ(made("kubernetes_dns",
                 {{"service", std::string("a..b")}, {"application_name", std::string("app")}}),
            k8s + "service has an empty label");
  EXPECT_EQ(made("kubernetes_dnssrv",
                 {{"service", std::string("s.default")}, {"application_name", std::string("app")}}),
            srv + "service must be a single name without dots, got \"s.default\"");
  EXPECT_EQ(made("kubernetes_dnssrv", {{"service", std::string("s")},
                                       {"application_name", std::string("app")},
                                       {"ipv6", true}})
                    .find("unknown option 'ipv6'") != std::string::npos,
            true);
  EXPECT_EQ(made("dns_poll", {{"node_basename", std::string("n")}}), poll + "query is required");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"ipv4", false},
                              {"ipv6", false}}),
            poll + "ipv6 and ipv4 cannot both be false");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"nameservers", Strings{"dns.example:53"}}}),
            poll +
                "nameservers \"dns.example:53\" is not an IP address (a nameserver cannot be a "
                "name)");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"nameservers", std::string("10.0.0.1")}}),
            poll + "nameservers must be a list of strings, got a string");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"timeout", int64_t{0}}}),
            poll + "timeout must be between 10ms and 60s");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"empty_polls", int64_t{0}}}),
            poll + "empty_polls must be between 1 and 1000, got 0");
  EXPECT_EQ(made("dns_poll", {{"query", std::string("q.example")},
                              {"node_basename", std::string("n")},
                              {"polling_interval", int64_t{0}}}),
            poll + "polling_interval must be > 0");
}

TEST(DnsStrategyOptions, Nameservers) {
  struct Case {
    std::string entry;
    std::string address;
    uint16_t port;
    bool ipv6;
  };
  for (const Case& c :
       {Case{"10.96.0.10", "10.96.0.10", 53, false},
        Case{"127.0.0.1:5353", "127.0.0.1", 5353, false}, Case{"fd00::10", "fd00::10", 53, true},
        Case{"[fd00::10]", "fd00::10", 53, true}, Case{"[::1]:5353", "::1", 5353, true}}) {
    auto server = parse_nameserver(c.entry);
    ASSERT_TRUE(server) << c.entry << ": " << server.error().message;
    EXPECT_EQ(server->address, c.address) << c.entry;
    EXPECT_EQ(server->port, c.port) << c.entry;
    EXPECT_EQ(server->ipv6, c.ipv6) << c.entry;
  }
  for (const char* bad : {"", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:x", "[::1",
                          "[::1]5353", "[10.0.0.1]:53", "fd00::zz", "localhost"}) {
    EXPECT_FALSE(parse_nameserver(bad)) << bad;
  }
}

TEST(DnsStrategyOptions, AreInTheTable) {
  auto names = strategy_names();
  for (const char* name : {"kubernetes_dns", "kubernetes_dnssrv", "dns_poll"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

}  // namespace
}  // namespace beamlink::discovery
