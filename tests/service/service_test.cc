// beamlink::Service (beamlink/service.h) end to end on loopback, without
// EPMD: the start order seen from setup, N worker threads really running
// handlers at once, the health endpoint's callbacks, JSON log lines, and
// the clean stop on SIGTERM. (The node's own worker-thread tests are
// tests/node/worker_threads_test.cc.)
#include "beamlink/service.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "node/concurrent_handlers.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;

struct Captured {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> output() {
    return [this](std::string_view line) {
      std::lock_guard lock(mu);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mu);
    return lines;
  }
};

ServiceOptions loopback_options(const std::string& basename,
                                std::map<std::string, std::string> env) {
  ServiceOptions options;
  env["BEAMLINK_NODE"] = basename + std::to_string(::getpid()) + "@127.0.0.1";
  env["BEAMLINK_COOKIE"] = "service_test";
  env["BEAMLINK_EPMD"] = "false";
  options.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  options.stop_signals = false;
  return options;
}

TEST(ServiceTest, WorkerThreadsRunHandlersConcurrently) {
  auto service =
      Service::start(loopback_options("svc_threads", {{"BEAMLINK_WORKER_THREADS", "4"}}));
  ASSERT_TRUE(service) << service.error().to_string();
  testing::HandlerMeeting seen = testing::run_handlers_at_once((*service)->node(), 4, 10s);
  EXPECT_EQ(seen.most_inside, 4u);
  EXPECT_EQ(seen.threads.size(), 4u);
}

TEST(ServiceTest, SetupSeesTheNodeBeforeReadyAndHealthAnswersAfter) {
  Captured log;
  ServiceOptions options = loopback_options("svc_setup", {{"BEAMLINK_LOG_FORMAT", "json"}});
  options.area = "svc";
  options.log_output = log.output();
  options.overrides.health_port = 0;  // ephemeral
  bool ready_in_setup = true;
  options.setup = [&](Service& service) -> Result<void> {
    ready_in_setup = service.ready();
    service.logger()(LogLevel::info, "app", "set up on " + service.node().name());
    service.node().register_function("svc", "double", [](const std::vector<Term>& args) {
      return CallResult(Term(args.at(0).as<int64_t>() * 2));
    });
    return {};
  };
  auto service = Service::start(std::move(options));
  ASSERT_TRUE(service) << service.error().to_string();
  EXPECT_FALSE(ready_in_setup);
  EXPECT_TRUE((*service)->ready());
  EXPECT_NE((*service)->health_port(), 0);
  auto status = nlohmann::json::parse((*service)->status_json());
  EXPECT_EQ(status["node"], (*service)->node().name());
  EXPECT_EQ(status["ready"], true);
  EXPECT_TRUE((*service)->topologies().empty());

  // Every line is one JSON object with ts, level, area and msg.
  std::vector<std::string> areas, messages;
  for (const std::string& line : log.snapshot()) {
    auto parsed = nlohmann::json::parse(line);
    ASSERT_TRUE(parsed.contains("ts") && parsed.contains("level")) << line;
    areas.push_back(parsed["area"]);
    messages.push_back(parsed["msg"]);
  }
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back(), "ready");
  EXPECT_EQ(areas.back(), "svc");
  EXPECT_NE(std::find(areas.begin(), areas.end(), "app"), areas.end());
}

TEST(ServiceTest, ASetupErrorStopsTheStart) {
  ServiceOptions options = loopback_options("svc_fail", {});
  options.setup = [](Service&) -> Result<void> { return fail(Errc::refused, "no thanks"); };
  auto service = Service::start(std::move(options));
  ASSERT_FALSE(service);
  EXPECT_EQ(service.error().code, Errc::refused);
}

TEST(ServiceTest, CheckReportsThePlanWithoutStarting) {
  auto plan = Service::check(loopback_options("svc_check", {{"BEAMLINK_WORKER_THREADS", "3"}}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(plan->worker_threads, 3u);
  EXPECT_EQ(plan->topologies, 0u);
  auto bad = Service::check(loopback_options("svc_check", {{"BEAMLINK_TICKTIME", "soon"}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("BEAMLINK_TICKTIME"), std::string::npos);
}

TEST(ServiceTest, SigtermStopsInOrder) {
  Captured log;
  ServiceOptions options = loopback_options("svc_signal", {});
  options.stop_signals = true;  // blocks SIGINT/SIGTERM in this thread
  options.log_output = log.output();
  auto service = Service::start(std::move(options));
  ASSERT_TRUE(service) << service.error().to_string();
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGTERM), 0);  // pending until waited for
  EXPECT_EQ((*service)->run_until_stop_signal(), "SIGTERM");
  EXPECT_FALSE((*service)->ready());
  EXPECT_TRUE((*service)->node().nodes(NodeKind::all).empty());
  auto lines = log.snapshot();
  auto stopping = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("[beamlink:node] stopping on SIGTERM") != std::string::npos;
  });
  ASSERT_NE(stopping, lines.end());
  EXPECT_NE(lines.back().find("[beamlink:node] stopped"), std::string::npos) << lines.back();
}

}  // namespace
}  // namespace beamlink
