#include "discovery/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <deque>
#include <future>
#include <thread>

namespace beamlink::discovery {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A fake cluster: which nodes are connected, which connects fail, and a
// log of every hook call with its time.
struct FakeNet {
  std::mutex mutex;
  std::set<std::string> connected;
  std::map<std::string, int> failures_left;  // connects to fail before success
  std::map<std::string, std::vector<Clock::time_point>> attempts;
  std::vector<std::string> disconnects;

  ClusterHooks hooks() {
    ClusterHooks h;
    h.connect = [this](std::string_view node) -> Result<void> {
      std::lock_guard lock(mutex);
      std::string n(node);
      attempts[n].push_back(Clock::now());
      auto it = failures_left.find(n);
      if (it != failures_left.end() && it->second != 0) {
        if (it->second > 0) --it->second;
        return fail(Errc::refused, "fake refusal");
      }
      connected.insert(n);
      return {};
    };
    h.disconnect = [this](std::string_view node) {
      std::lock_guard lock(mutex);
      connected.erase(std::string(node));
      disconnects.emplace_back(node);
    };
    h.list_nodes = [this] {
      std::lock_guard lock(mutex);
      return std::vector<std::string>(connected.begin(), connected.end());
    };
    return h;
  }
  size_t attempt_count(const std::string& node) {
    std::lock_guard lock(mutex);
    return attempts[node].size();
  }
  bool is_connected(const std::string& node) {
    std::lock_guard lock(mutex);
    return connected.contains(node);
  }
};

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.backoff_initial = 20ms;
    options_.backoff_max = 200ms;
    options_.jitter = 0;
    options_.resync_interval = 50ms;
    adjust(options_);
    reconciler_ = std::make_unique<Reconciler>(
        io_, pool_, hooks(), options_, "me@h",
        [this](LogLevel, std::string_view topology, std::string_view message) {
          std::lock_guard lock(log_mutex_);
          log_.push_back(std::string(topology) + ": " + std::string(message));
        });
    thread_ = std::thread([this] { io_.run(); });
  }
  virtual void adjust(ReconcilerOptions&) {}
  virtual ClusterHooks hooks() { return net_.hooks(); }
  void TearDown() override {
    on_io([this] { reconciler_->stop(); });
    pool_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  // Runs `f` on the reconciler's thread and waits for it.
  void on_io(std::function<void()> f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  bool eventually(std::function<bool()> check, std::chrono::milliseconds timeout = 3s) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return check();
  }
  // Starts the reconciler with one topology wanting `nodes`.
  size_t start_with(std::string name, bool prunes, std::vector<std::string> nodes,
                    std::optional<std::chrono::milliseconds> retry_max = std::nullopt) {
    size_t t = reconciler_->add_topology(std::move(name), "epmd", prunes, retry_max);
    on_io([&] {
      reconciler_->start();
      reconciler_->set_desired(t, nodes);
    });
    return t;
  }
  bool logged(std::string_view text) {
    std::lock_guard lock(log_mutex_);
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  WorkerPool pool_{4};
  FakeNet net_;
  ReconcilerOptions options_;
  std::unique_ptr<Reconciler> reconciler_;
  std::thread thread_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(ReconcilerTest, ConnectsEveryDesiredNodeButItself) {
  start_with("static", true, {"a@h", "b@h", "me@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h") && net_.is_connected("b@h"); }));
  EXPECT_EQ(net_.attempt_count("me@h"), 0u);
  ASSERT_TRUE(eventually([&] { return reconciler_->status()[0].connects == 2; }));
  EXPECT_EQ(reconciler_->status()[0].desired, (std::vector<std::string>{"a@h", "b@h"}));
  EXPECT_TRUE(logged("static: connected to a@h"));
}

TEST_F(ReconcilerTest, RetriesWithExponentialBackoff) {
  net_.failures_left["slow@h"] = 4;
  start_with("static", true, {"slow@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("slow@h"); }));
  std::vector<Clock::time_point> times;
  {
    std::lock_guard lock(net_.mutex);
    times = net_.attempts["slow@h"];
  }
  ASSERT_EQ(times.size(), 5u);
  // Gaps follow 20, 40, 80, 160 ms (no jitter): never shorter. (The delays
  // themselves are checked exactly in the log; a loaded machine may stretch
  // a gap, so no upper bound.)
  const int64_t expected[] = {20, 40, 80, 160};
  for (size_t i = 1; i < times.size(); ++i) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]);
    EXPECT_GE(gap.count(), expected[i - 1]) << "gap " << i;
  }
  // The reconciler counts the connect after the network reports it.
  ASSERT_TRUE(eventually([&] { return reconciler_->status()[0].connects == 1; }));
  EXPECT_EQ(reconciler_->status()[0].connect_failures, 4u);
  EXPECT_TRUE(logged("cannot connect to slow@h: refused: fake refusal; retry 1 in 20 ms"));
  EXPECT_TRUE(logged("retry 2 in 40 ms"));
  EXPECT_TRUE(logged("retry 3 in 80 ms"));
  EXPECT_TRUE(logged("retry 4 in 160 ms"));
}

TEST_F(ReconcilerTest, TopologyRetryCapLimitsBackoff) {
  net_.failures_left["x@h"] = -1;  // never succeeds
  start_with("static", true, {"x@h"}, 30ms);
  std::this_thread::sleep_for(400ms);
  // Capped at 30 ms instead of doubling to 200 ms: over 400 ms that is
  // roughly a dozen attempts, not five.
  EXPECT_GE(net_.attempt_count("x@h"), 9u);
}

TEST_F(ReconcilerTest, DiscoveryFailureKeepsMembership) {
  size_t t = start_with("dns", true, {"a@h", "b@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h") && net_.is_connected("b@h"); }));
  on_io([&] { reconciler_->discovery_failed(t, Error{Errc::timeout, "dns server silent"}); });
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(net_.is_connected("a@h"));
  EXPECT_TRUE(net_.is_connected("b@h"));
  auto status = reconciler_->status()[0];
  EXPECT_EQ(status.discovery_errors, 1u);
  EXPECT_EQ(status.desired.size(), 2u);
  EXPECT_NE(status.last_error.find("dns server silent"), std::string::npos);
  EXPECT_TRUE(logged("keeping the 2 known node(s)"));
  std::lock_guard lock(net_.mutex);
  EXPECT_TRUE(net_.disconnects.empty());
}

TEST_F(ReconcilerTest, PrunesOnlyWhatThisTopologyDiscovered) {
  size_t t = reconciler_->add_topology("static", "epmd", true, std::nullopt);
  {
    std::lock_guard lock(net_.mutex);
    net_.connected.insert("other@h");  // connected by someone else
  }
  on_io([&] {
    reconciler_->start();
    reconciler_->set_desired(t, {"a@h", "b@h"});
  });
  ASSERT_TRUE(eventually([&] { return net_.is_connected("b@h"); }));
  on_io([&] { reconciler_->set_desired(t, {"a@h"}); });
  ASSERT_TRUE(eventually([&] { return !net_.is_connected("b@h"); }));
  EXPECT_TRUE(net_.is_connected("a@h"));
  EXPECT_TRUE(net_.is_connected("other@h"));
  EXPECT_EQ(reconciler_->status()[0].disconnects, 1u);
  std::lock_guard lock(net_.mutex);
  EXPECT_EQ(net_.disconnects, std::vector<std::string>{"b@h"});
}

TEST_F(ReconcilerTest, NonPruningStrategyNeverDisconnects) {
  size_t t = start_with("gossip", false, {"a@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }));
  on_io([&] { reconciler_->set_desired(t, {}); });
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(net_.is_connected("a@h"));
  EXPECT_EQ(reconciler_->status()[0].disconnects, 0u);
}

TEST_F(ReconcilerTest, NodeWantedByAnotherTopologyStays) {
  size_t one = reconciler_->add_topology("one", "epmd", true, std::nullopt);
  size_t two = reconciler_->add_topology("two", "epmd", true, std::nullopt);
  on_io([&] {
    reconciler_->start();
    reconciler_->set_desired(one, {"a@h"});
    reconciler_->set_desired(two, {"a@h"});
  });
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }));
  on_io([&] { reconciler_->set_desired(one, {}); });
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(net_.is_connected("a@h"));
}

TEST_F(ReconcilerTest, ReconnectsAtOnceAfterNodeDown) {
  start_with("static", true, {"a@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }));
  {
    std::lock_guard lock(net_.mutex);
    net_.connected.erase("a@h");
  }
  auto before = Clock::now();
  on_io([&] { reconciler_->node_down("a@h", "connection_closed"); });
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }));
  EXPECT_LT(Clock::now() - before, 40ms);  // not after a resync period
  EXPECT_EQ(net_.attempt_count("a@h"), 2u);
  EXPECT_TRUE(logged("a@h went down (connection_closed); reconnecting"));
}

TEST_F(ReconcilerTest, ResyncNoticesDropsWithoutEvents) {
  start_with("static", true, {"a@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }));
  {
    std::lock_guard lock(net_.mutex);
    net_.connected.erase("a@h");  // dropped, no event
  }
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h"); }, 1s));
}

// Dial races: of two nodes that want each other, the greater name ("zz" >
// "me") dials; we wait backoff_initial for its connection.
TEST_F(ReconcilerTest, TheSmallerNameDialsAfterAllWhenTheGreaterOneDoesNot) {
  const auto started = Clock::now();
  start_with("static", true, {"zz@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("zz@h"); }));
  std::lock_guard lock(net_.mutex);
  ASSERT_EQ(net_.attempts["zz@h"].size(), 1u);
  EXPECT_GE(net_.attempts["zz@h"][0] - started, options_.backoff_initial);
}

// Once every wanted node is connected the resync is only a safety net: it
// reads the node list 5 times less often (on an idle mesh that copy was
// the largest user-space cost). Timers never fire early, so the gaps are
// a lower bound whatever the machine's load.
class SettledResyncTest : public ReconcilerTest {
 protected:
  ClusterHooks hooks() override {
    ClusterHooks h = net_.hooks();
    auto list = h.list_nodes;
    h.list_nodes = [this, list] {
      {
        std::lock_guard lock(list_mutex_);
        list_calls_.push_back(Clock::now());
      }
      return list();
    };
    return h;
  }
  size_t list_calls_since(Clock::time_point from) {
    std::lock_guard lock(list_mutex_);
    return static_cast<size_t>(
        std::count_if(list_calls_.begin(), list_calls_.end(), [&](auto at) { return at >= from; }));
  }
  std::mutex list_mutex_;
  std::vector<Clock::time_point> list_calls_;
};

TEST_F(SettledResyncTest, AllConnectedReadsTheNodeListFiveTimesLessOften) {
  start_with("static", true, {"a@h", "b@h"});
  ASSERT_TRUE(eventually([&] { return net_.is_connected("a@h") && net_.is_connected("b@h"); }));
  // Three resyncs after the one that saw both connected.
  const auto settled = Clock::now();
  ASSERT_TRUE(eventually([&] { return list_calls_since(settled) >= 4; }, 10s));
  std::lock_guard lock(list_mutex_);
  std::vector<Clock::time_point> after;
  for (auto at : list_calls_) {
    if (at >= settled) after.push_back(at);
  }
  for (size_t i = 2; i < after.size(); ++i) {
    EXPECT_GE(after[i] - after[i - 1], 5 * 50ms - 1ms) << "gap " << i;
  }
}

class DialRaceTest : public ReconcilerTest {
 protected:
  void adjust(ReconcilerOptions& options) override {
    options.backoff_initial = 10s;  // the greater node surely dials first
    options.backoff_max = 20s;
  }
};

TEST_F(DialRaceTest, TheSmallerNameWaitsForTheGreaterOnesConnection) {
  start_with("static", true, {"aa@h", "zz@h"});
  // "aa" < "me": we dial it at once; "zz" > "me": it dials us.
  ASSERT_TRUE(eventually([&] { return net_.is_connected("aa@h"); }));
  EXPECT_EQ(net_.attempt_count("zz@h"), 0u);
  {
    std::lock_guard lock(net_.mutex);
    net_.connected.insert("zz@h");  // its connection arrives
  }
  on_io([&] { reconciler_->node_up("zz@h"); });
  // After it drops, it redials us: we wait again rather than race it.
  {
    std::lock_guard lock(net_.mutex);
    net_.connected.erase("zz@h");
  }
  on_io([&] { reconciler_->node_down("zz@h", "connection_closed"); });
  on_io([] {});
  EXPECT_EQ(net_.attempt_count("zz@h"), 0u);
  // Without the wait (before), both dialled: "zz" was attempted at once.
}

// Asynchronous connects: the hook returns at once and the test answers
// each dial when it chooses.
class AsyncConnectTest : public ReconcilerTest {
 protected:
  struct Dial {
    std::string node;
    std::function<void(Result<void>)> done;
  };
  void adjust(ReconcilerOptions& options) override {
    options.max_connects = 3;
    options.connect_timeout = 10s;
  }
  ClusterHooks hooks() override {
    ClusterHooks h = net_.hooks();
    h.connect = nullptr;
    h.connect_async = [this](std::string_view node, std::function<void(Result<void>)> done) {
      std::lock_guard lock(dials_mutex_);
      dials_.push_back({std::string(node), std::move(done)});
    };
    return h;
  }
  void TearDown() override {
    ReconcilerTest::TearDown();
    // The reconciler's destructor waits for every dial to be answered.
    while (answer_next(fail(Errc::closed, "test over"))) {
    }
  }
  size_t dialled() {
    std::lock_guard lock(dials_mutex_);
    return dials_.size() + answered_;
  }
  size_t waiting() {
    std::lock_guard lock(dials_mutex_);
    return dials_.size();
  }
  // Answers the oldest unanswered dial; false if there is none.
  bool answer_next(Result<void> result) {
    Dial dial;
    {
      std::lock_guard lock(dials_mutex_);
      if (dials_.empty()) return false;
      dial = std::move(dials_.front());
      dials_.pop_front();
      ++answered_;
    }
    if (result) {
      std::lock_guard lock(net_.mutex);
      net_.connected.insert(dial.node);
    }
    dial.done(std::move(result));
    return true;
  }
  static std::vector<std::string> names(size_t count) {
    std::vector<std::string> out;  // all below "me@h": dialled at once
    for (size_t i = 0; i < count; ++i) out.push_back("a" + std::to_string(i) + "@h");
    return out;
  }

  std::mutex dials_mutex_;
  std::deque<Dial> dials_;
  size_t answered_ = 0;
};

TEST_F(AsyncConnectTest, DialsUpToTheLimitAtOnceAndTheRestAsTheyFinish) {
  start_with("static", true, names(8));
  ASSERT_TRUE(eventually([&] { return dialled() == 3; }));
  on_io([] {});  // nothing more starts while all three are in flight
  EXPECT_EQ(dialled(), 3u);
  for (size_t done = 0; done < 8; ++done) {
    ASSERT_TRUE(eventually([&] { return waiting() > 0; }));
    ASSERT_TRUE(answer_next({}));
  }
  ASSERT_TRUE(eventually([&] { return reconciler_->status()[0].connects == 8; }));
  EXPECT_EQ(dialled(), 8u);
}

class AsyncTimeoutTest : public AsyncConnectTest {
 protected:
  void adjust(ReconcilerOptions& options) override { options.connect_timeout = 30ms; }
};

TEST_F(AsyncTimeoutTest, ADialAnsweredLateIsRetriedAfterItsTimeout) {
  start_with("static", true, {"a@h"});
  // The first dial never answers: after 30 ms it fails, and is retried
  // after backoff_initial.
  ASSERT_TRUE(eventually([&] { return dialled() == 2; }));
  EXPECT_TRUE(logged("cannot connect to a@h: timeout: no outcome after 30 ms; retry 1"));
  EXPECT_EQ(reconciler_->status()[0].connect_failures, 1u);
  // The first dial's late failure is not counted against the second.
  ASSERT_TRUE(answer_next(fail(Errc::refused, "late")));
  ASSERT_TRUE(answer_next({}));
  ASSERT_TRUE(eventually([&] { return reconciler_->status()[0].connects == 1; }));
  EXPECT_EQ(reconciler_->status()[0].connect_failures, 1u);
  EXPECT_FALSE(logged("late"));
}

}  // namespace
}  // namespace beamlink::discovery
