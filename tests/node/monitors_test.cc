// Monitors by pid and by name, local and remote, and their DOWN messages.
#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

Term down(const Reference& ref, Term object, Term reason) {
  return T(A("DOWN"), ref, A("process"), std::move(object), std::move(reason));
}

class MonitorsTest : public ::testing::Test {
 protected:
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");
};

TEST_F(MonitorsTest, LocalDownCarriesTheExitReason) {
  auto watcher = a->spawn();
  auto target = a->spawn();
  Reference ref = watcher->monitor(target->pid());
  target->exit(A("gone"));
  EXPECT_EQ(watcher->receive(2s), down(ref, target->pid(), A("gone")));
}

TEST_F(MonitorsTest, MonitoringADeadPidGivesNoproc) {
  auto watcher = a->spawn();
  Pid dead = a->spawn()->pid();
  Reference ref = watcher->monitor(dead);
  EXPECT_EQ(watcher->receive(2s), down(ref, dead, A("noproc")));
}

TEST_F(MonitorsTest, ByNameNamesTheTupleAndGivesNoprocForUnknownNames) {
  auto watcher = a->spawn();
  auto target = a->spawn({.register_as = "svc"});
  Reference ref = watcher->monitor("svc", "a@host");
  target->exit(A("stopped"));
  EXPECT_EQ(watcher->receive(2s), down(ref, T(A("svc"), A("a@host")), A("stopped")));
  Reference none = watcher->monitor("nobody", "a@host");
  EXPECT_EQ(watcher->receive(2s), down(none, T(A("nobody"), A("a@host")), A("noproc")));
}

TEST_F(MonitorsTest, DemonitorRemovesTheMonitorAndFlushesItsDown) {
  auto watcher = a->spawn();
  auto target = a->spawn();
  Reference ref = watcher->monitor(target->pid());
  watcher->demonitor(ref);
  target->exit(A("gone"));
  EXPECT_FALSE(watcher->receive(50ms).has_value());

  auto other = a->spawn();
  Reference late = watcher->monitor(other->pid());
  other->exit(A("gone"));
  watcher->demonitor(late);  // DOWN already queued: flushed
  EXPECT_FALSE(watcher->receive(50ms).has_value());
}

TEST_F(MonitorsTest, RemoteMonitorByPidAndByName) {
  auto watcher = a->spawn();
  auto target = b->spawn({.register_as = "remote_svc"});
  // Connected first: a signal to a node not yet connected waits for the
  // connect on another thread, and flush() below would not wait for it.
  ASSERT_TRUE(a->connect("b@host"));
  Reference by_pid = watcher->monitor(target->pid());
  Reference by_name = watcher->monitor("remote_svc", "b@host");
  network.flush();
  target->exit(A("remote_gone"));
  std::vector<Term> got;
  for (int i = 0; i < 2; ++i) {
    auto m = watcher->receive(2s);
    ASSERT_TRUE(m);
    got.push_back(*m);
  }
  EXPECT_NE(std::find(got.begin(), got.end(), down(by_pid, target->pid(), A("remote_gone"))),
            got.end());
  EXPECT_NE(std::find(got.begin(), got.end(),
                      down(by_name, T(A("remote_svc"), A("b@host")), A("remote_gone"))),
            got.end());
}

TEST_F(MonitorsTest, RemoteNoprocForUnknownNameAndPid) {
  auto watcher = a->spawn();
  Reference by_name = watcher->monitor("ghost", "b@host");
  EXPECT_EQ(watcher->receive(2s), down(by_name, T(A("ghost"), A("b@host")), A("noproc")));
  Pid ghost{Atom("b@host"), 30000, 2, b->creation()};
  Reference by_pid = watcher->monitor(ghost);
  EXPECT_EQ(watcher->receive(2s), down(by_pid, ghost, A("noproc")));
}

TEST_F(MonitorsTest, RemoteDemonitorStopsTheDown) {
  auto watcher = a->spawn();
  auto target = b->spawn();
  Reference ref = watcher->monitor(target->pid());
  network.flush();
  watcher->demonitor(ref);
  network.flush();
  target->exit(A("gone"));
  EXPECT_FALSE(watcher->receive(100ms).has_value());
}

TEST_F(MonitorsTest, NoconnectionWhenTheNodeGoesDownOrCannotBeReached) {
  auto watcher = a->spawn();
  auto target = b->spawn();
  Reference ref = watcher->monitor(target->pid());
  network.flush();
  network.kill_connections("b@host", "connection closed");
  EXPECT_EQ(watcher->receive(2s), down(ref, target->pid(), A("noconnection")));

  Pid far{Atom("nowhere@host"), 100, 0, 1};
  Reference unreachable = watcher->monitor(far);
  EXPECT_EQ(watcher->receive(2s), down(unreachable, far, A("noconnection")));
}

TEST_F(MonitorsTest, WatcherExitRemovesItsRemoteMonitor) {
  auto target = b->spawn();
  {
    auto watcher = a->spawn();
    watcher->monitor(target->pid());
    network.flush();
  }  // watcher exits: DEMONITOR_P
  network.flush();
  target->exit(A("later"));  // no DOWN to send, nothing dropped
  network.flush();
  EXPECT_EQ(a->stats().dropped_unknown_pid, 0u);
}

}  // namespace
}  // namespace beamlink::testing
