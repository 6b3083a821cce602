// The pg protocol as a pure state machine: discover/sync/join/leave/DOWN
// handled as OTP 25's pg.erl handles them, with every send and monitor
// recorded.
#include "node/pg/scope_state.h"

#include <gtest/gtest.h>

#include "beamlink/term_text.h"

namespace beamlink::node::pg {
namespace {

Term A(std::string_view name) {
  return Term::atom(name);
}

template <class... Ts>
Term T(Ts&&... items) {
  return Term::tuple({Term(std::forward<Ts>(items))...});
}

Pid pid_on(std::string_view node, uint32_t id) {
  return Pid{Atom(std::string(node)), id, 0, 1};
}

class RecordingIo : public ScopeIo {
 public:
  struct Sent {
    Pid to;
    Term message;
  };
  Reference monitor_process(const Pid& target) override {
    Reference ref{Atom("us@h"), 1, {next_++, 0, 0}};
    monitors.emplace_back(target, ref);
    return ref;
  }
  void demonitor_process(const Reference& ref) override { demonitored.push_back(ref); }
  void send(const Pid& to, Term message) override { sent.push_back({to, std::move(message)}); }
  void send_to_scope(const std::string& node, Term message) override {
    to_scope.emplace_back(node, std::move(message));
  }
  Reference ref_for(const Pid& pid) const {
    for (const auto& [p, r] : monitors) {
      if (p == pid) return r;
    }
    return {};
  }
  std::vector<std::pair<Pid, Reference>> monitors;
  std::vector<Reference> demonitored;
  std::vector<Sent> sent;
  std::vector<std::pair<std::string, Term>> to_scope;

 private:
  uint32_t next_ = 1;
};

class ScopeStateTest : public ::testing::Test {
 protected:
  Pid self_ = pid_on("us@h", 10);
  Pid peer_ = pid_on("them@h", 20);
  Pid local1_ = pid_on("us@h", 11);
  Pid local2_ = pid_on("us@h", 12);
  Pid remote1_ = pid_on("them@h", 21);
  Pid remote2_ = pid_on("them@h", 22);
  RecordingIo io_;
  ScopeState state_{self_, io_};

  Term sync(const Pid& from, Term groups) {
    return T(A("$gen_cast"), T(A("sync"), from, std::move(groups)));
  }
  Term down(const Pid& pid, Term reason = A("noconnection")) {
    return Term::tuple({A("DOWN"), io_.ref_for(pid), A("process"), pid, std::move(reason)});
  }
};

TEST_F(ScopeStateTest, StartAndNodeupDiscoverTheScopeOnEachNode) {
  state_.start({"a@h", "b@h", "us@h"});
  ASSERT_EQ(io_.to_scope.size(), 2u);
  EXPECT_EQ(io_.to_scope[0].first, "a@h");
  EXPECT_EQ(io_.to_scope[0].second, T(A("discover"), self_));
  state_.nodeup("c@h");
  EXPECT_EQ(io_.to_scope.back().first, "c@h");
}

TEST_F(ScopeStateTest, DiscoverAnswersWithSyncMonitorsAndDiscoversBack) {
  state_.join(A("g"), {local1_}, true);
  ASSERT_TRUE(state_.handle(T(A("discover"), peer_)));
  ASSERT_EQ(io_.sent.size(), 2u);
  EXPECT_EQ(io_.sent[0].to, peer_);
  EXPECT_EQ(format_term(io_.sent[0].message),
            format_term(sync(self_, Term::list({T(A("g"), Term::list({local1_}))}))));
  EXPECT_EQ(io_.sent[1].message, T(A("discover"), self_));
  EXPECT_EQ(io_.monitors.back().first, peer_);
  EXPECT_EQ(state_.peer_count(), 1u);
  // A second discover from the same peer: only the sync.
  ASSERT_TRUE(state_.handle(T(A("discover"), peer_)));
  EXPECT_EQ(io_.sent.size(), 3u);
  EXPECT_EQ(io_.monitors.size(), 2u);  // local1_ and the peer, once
}

TEST_F(ScopeStateTest, SyncAddsRemoteMembersAndReplacesThemOnResync) {
  ASSERT_TRUE(
      state_.handle(sync(peer_, Term::list({T(A("g"), Term::list({remote1_, remote2_}))}))));
  EXPECT_EQ(state_.members(A("g")), (std::vector<Pid>{remote1_, remote2_}));
  EXPECT_TRUE(state_.local_members(A("g")).empty());
  EXPECT_EQ(io_.monitors.back().first, peer_);  // sync from an unknown peer monitors it
  // A later sync without the group removes its members.
  ASSERT_TRUE(state_.handle(sync(peer_, Term::list({T(A("h"), Term::list({remote1_}))}))));
  EXPECT_TRUE(state_.members(A("g")).empty());
  EXPECT_EQ(state_.members(A("h")), std::vector<Pid>{remote1_});
  EXPECT_EQ(state_.groups(), std::vector<Term>{A("h")});
}

TEST_F(ScopeStateTest, JoinAndLeaveFromAKnownPeer) {
  ASSERT_TRUE(state_.handle(T(A("discover"), peer_)));
  ASSERT_TRUE(state_.handle(T(A("join"), peer_, A("g"), remote1_)));
  ASSERT_TRUE(state_.handle(T(A("join"), peer_, A("g"), Term::list({remote2_}))));
  EXPECT_EQ(state_.members(A("g")), (std::vector<Pid>{remote2_, remote1_}));
  ASSERT_TRUE(state_.handle(T(A("leave"), peer_, remote1_, Term::list({A("g")}))));
  EXPECT_EQ(state_.members(A("g")), std::vector<Pid>{remote2_});
  ASSERT_TRUE(state_.handle(T(A("leave"), peer_, Term::list({remote2_}), Term::list({A("g")}))));
  EXPECT_TRUE(state_.groups().empty());
}

TEST_F(ScopeStateTest, JoinFromAnUnknownPeerIsIgnored) {
  ASSERT_TRUE(state_.handle(T(A("join"), peer_, A("g"), remote1_)));
  EXPECT_TRUE(state_.members(A("g")).empty());
}

TEST_F(ScopeStateTest, PeerDownRemovesAllItsMembers) {
  ASSERT_TRUE(state_.handle(sync(
      peer_, Term::list({T(A("g"), Term::list({remote1_})), T(A("h"), Term::list({remote2_}))}))));
  state_.join(A("g"), {local1_}, true);
  ASSERT_TRUE(state_.handle(down(peer_)));
  EXPECT_EQ(state_.members(A("g")), std::vector<Pid>{local1_});
  EXPECT_TRUE(state_.members(A("h")).empty());
  EXPECT_EQ(state_.peer_count(), 0u);
}

TEST_F(ScopeStateTest, LocalJoinBroadcastsAndMemberExitLeaves) {
  ASSERT_TRUE(state_.handle(T(A("discover"), peer_)));
  io_.sent.clear();
  state_.join(A("g"), {local1_}, true);
  state_.join(A("h"), {local1_, local2_}, false);
  ASSERT_EQ(io_.sent.size(), 2u);
  EXPECT_EQ(io_.sent[0].message, T(A("join"), self_, A("g"), local1_));
  EXPECT_EQ(io_.sent[1].message, T(A("join"), self_, A("h"), Term::list({local1_, local2_})));
  EXPECT_EQ(state_.local_groups(), (std::vector<Term>{A("g"), A("h")}));
  ASSERT_TRUE(state_.handle(down(local1_, A("normal"))));
  EXPECT_TRUE(state_.members(A("g")).empty());
  EXPECT_EQ(state_.members(A("h")), std::vector<Pid>{local2_});
  ASSERT_EQ(io_.sent.size(), 3u);
  const Tuple& leave = io_.sent[2].message.as<Tuple>();
  EXPECT_EQ(leave.elements[0], A("leave"));
  EXPECT_EQ(leave.elements[2], Term(local1_));
}

TEST_F(ScopeStateTest, LeaveOfANonMemberIsNotJoined) {
  EXPECT_FALSE(state_.leave(A("g"), {local1_}, true));
  state_.join(A("g"), {local1_}, true);
  EXPECT_TRUE(state_.leave(A("g"), {local1_}, true));
  EXPECT_EQ(io_.demonitored.size(), 1u);  // its last group: no longer monitored
  EXPECT_TRUE(state_.groups().empty());
}

TEST_F(ScopeStateTest, DoubleJoinListsTwiceAndNeedsTwoLeaves) {
  state_.join(A("g"), {local1_}, true);
  state_.join(A("g"), {local1_}, true);
  EXPECT_EQ(state_.members(A("g")).size(), 2u);
  EXPECT_EQ(io_.monitors.size(), 1u);
  EXPECT_TRUE(state_.leave(A("g"), {local1_}, true));
  EXPECT_EQ(state_.members(A("g")), std::vector<Pid>{local1_});
  EXPECT_TRUE(state_.leave(A("g"), {local1_}, true));
  EXPECT_TRUE(state_.members(A("g")).empty());
}

TEST_F(ScopeStateTest, GroupAndScopeMonitorsGetEvents) {
  Pid watcher = pid_on("us@h", 30);
  GroupSubscription g = state_.monitor_group(watcher, A("g"));
  EXPECT_TRUE(g.members.empty());
  state_.join(A("g"), {local1_}, true);
  state_.join(A("other"), {local1_}, true);
  ScopeSubscription s = state_.monitor_scope(watcher);
  ASSERT_EQ(s.groups.size(), 2u);
  io_.sent.clear();
  ASSERT_TRUE(state_.handle(T(A("discover"), peer_)));  // sync + discover to the peer
  ASSERT_TRUE(state_.handle(sync(peer_, Term::list({T(A("g"), Term::list({remote1_}))}))));
  std::vector<Term> to_watcher;
  for (const auto& sent : io_.sent) {
    if (sent.to == watcher) to_watcher.push_back(sent.message);
  }
  // One join for the scope monitor, one for the group monitor.
  ASSERT_EQ(to_watcher.size(), 2u);
  for (const Term& m : to_watcher) {
    EXPECT_EQ(m.as<Tuple>().elements[1], A("join"));
    EXPECT_EQ(m.as<Tuple>().elements[3], Term::list({remote1_}));
  }
  EXPECT_TRUE(state_.demonitor(g.ref));
  EXPECT_FALSE(state_.demonitor(g.ref));
  // The watcher exiting ends its scope subscription.
  ASSERT_TRUE(state_.handle(Term::tuple({A("DOWN"), s.ref, A("process"), watcher, A("normal")})));
  io_.sent.clear();
  state_.join(A("g"), {local2_}, true);
  for (const auto& sent : io_.sent) EXPECT_NE(sent.to, watcher);
}

TEST_F(ScopeStateTest, MalformedMessagesAreRefusedWithoutChange) {
  EXPECT_FALSE(state_.handle(A("junk")));
  EXPECT_FALSE(state_.handle(T(A("discover"), A("notapid"))));
  EXPECT_FALSE(state_.handle(sync(peer_, A("notalist"))));
  EXPECT_FALSE(state_.handle(sync(peer_, Term::list({T(A("g"), Term::list({A("x")}))}))));
  EXPECT_FALSE(state_.handle(T(A("join"), peer_, A("g"), Term(7))));
  EXPECT_FALSE(state_.handle(T(A("leave"), peer_, remote1_, A("g"))));
  EXPECT_TRUE(state_.groups().empty());
  EXPECT_EQ(state_.peer_count(), 0u);
}

}  // namespace
}  // namespace beamlink::node::pg
