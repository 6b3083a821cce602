// The `kubernetes` strategy at run time: polling, the watch thread, the
// set of objects, naming and what is reported. Everything but the watch
// thread's blocking call runs on the strategy thread.
#include "discovery/kubernetes_strategy.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <charconv>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "discovery/k8s_api.h"

namespace beamlink::discovery {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kWatchRetryMin = 500ms;
constexpr std::chrono::milliseconds kWatchRetryMax = 30s;
// A stream that lasted this long was healthy, whatever ended it.
constexpr std::chrono::seconds kHealthyWatch{10};
// The server ends each watch after a random 5 to 10 minutes, as client-go asks.
constexpr std::chrono::seconds kWatchTimeoutMin{300};
constexpr std::chrono::seconds kWatchIdleMargin{30};

// Whether resource version `a` is known to be newer than `b`. Versions are
// opaque to clients, but every API server hands out etcd revisions; when
// either is not a number, nothing is known.
bool newer(const std::string& a, const std::string& b) {
  uint64_t x = 0;
  uint64_t y = 0;
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), x);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ea != std::errc() || eb != std::errc() || pa != a.data() + a.size() ||
      pb != b.data() + b.size()) {
    return false;
  }
  return x > y;
}

class KubernetesStrategy final : public Strategy {
 public:
  KubernetesStrategy(KubernetesSettings settings, HttpClientFactory make_client)
      : settings_(std::move(settings)), make_client_(std::move(make_client)) {}

  ~KubernetesStrategy() override { stop_watch_thread(); }

  Result<void> start(StrategyHost& host) override {
    host_ = &host;
    ns_ = settings_.ns;
    const std::string& sa = settings_.service_account_path;
    if (ns_.empty()) {
      auto file = k8s::read_trimmed_file(sa + "/namespace", 256);
      if (!file || file->empty()) {
        return fail(Errc::invalid_argument,
                    "kubernetes: kubernetes_namespace is not set and " + sa +
                        "/namespace cannot be read (" +
                        (file ? std::string("empty") : file.error().message) +
                        "); outside a pod, set kubernetes_namespace");
      }
      if (!k8s::is_dns_label(*file)) {
        return fail(Errc::invalid_argument,
                    "kubernetes: " + sa + "/namespace holds '" + *file + "', not a namespace");
      }
      ns_ = *file;
    }
    HttpsOptions http;
    http.host = settings_.api_host;
    http.port = settings_.api_port;
    std::error_code ec;
    if (std::filesystem::exists(sa + "/ca.crt", ec)) http.ca_file = sa + "/ca.crt";
    http.timeout = settings_.timeout;
    http.stream_idle_timeout = 2 * kWatchTimeoutMin + kWatchIdleMargin;
    auto client = make_client_(http);
    if (!client) return fail(client.error().code, "kubernetes: " + client.error().message);
    std::string server =
        http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host;
    k8s::ApiConfig config{.resource = settings_.lookup,
                          .ns = ns_,
                          .selector = settings_.selector,
                          .cached_list = settings_.cached_resources,
                          .token_path = sa + "/token",
                          .server = server + ":" + std::to_string(http.port)};
    api_ = std::make_shared<k8s::KubernetesApi>(std::move(*client), std::move(config));
    poll_timer_.emplace(host.io());
    watch_timer_.emplace(host.io());
    if (settings_.watch) {
      watch_work_.emplace(watch_io_.get_executor());
      watch_thread_ = std::thread([this] { watch_io_.run(); });
    }
    host.log(
        LogLevel::info,
        "kubernetes: " + std::string(k8s::resource_name(settings_.lookup)) + " in namespace " +
            ns_ + " selected by '" + settings_.selector + "' at " + api_->list_target() +
            (settings_.watch
                 ? ", watched"
                 : ", polled every " + std::to_string(settings_.polling_interval.count()) + " ms"));
    poll();
    return {};
  }

  void stop() override {
    *alive_ = false;
    if (poll_timer_) poll_timer_->cancel();
    if (watch_timer_) watch_timer_->cancel();
    if (api_) api_->cancel();
    stop_watch_thread();
  }

 private:
  void stop_watch_thread() {
    if (!watch_thread_.joinable()) return;
    watch_work_.reset();
    watch_io_.stop();
    watch_thread_.join();
  }

  // --- polling -------------------------------------------------------------

  void poll() {
    if (list_in_flight_) return;
    list_in_flight_ = true;
    auto outcome = std::make_shared<k8s::ApiResult<k8s::ObjectList>>();
    host_->run_blocking([api = api_, outcome] { *outcome = api->list(); },
                        [this, outcome, alive = alive_] {
                          if (*alive) on_list(std::move(*outcome));
                        });
  }

  void schedule_poll() {
    poll_timer_->expires_after(settings_.polling_interval);
    poll_timer_->async_wait([this, alive = alive_](const std::error_code& ec) {
      if (!ec && *alive) poll();
    });
  }

  void on_list(k8s::ApiResult<k8s::ObjectList> list) {
    list_in_flight_ = false;
    schedule_poll();
    if (!list) {
      report(list.error());
      return;
    }
    answered();
    note_skipped(list->skipped);
    // The watch may already be past this list (its events applied after
    // the list was taken): the older list must not undo them.
    if (watch_running_ && newer(resource_version_, list->resource_version)) {
      maybe_start_watch();
      return;
    }
    objects_.clear();
    for (auto& item : list->items) objects_[item.key] = std::move(item.addresses);
    resource_version_ = list->resource_version;
    publish();
    maybe_start_watch();
  }

  // --- watching ------------------------------------------------------------

  void maybe_start_watch() {
    if (!settings_.watch || watch_running_ || watch_retry_pending_ || resource_version_.empty()) {
      return;
    }
    watch_running_ = true;
    watch_started_ = Clock::now();
    std::uniform_int_distribution<int> spread(0, static_cast<int>(kWatchTimeoutMin.count()));
    std::chrono::seconds timeout = kWatchTimeoutMin + std::chrono::seconds(spread(rng_));
    asio::io_context& io = host_->io();
    asio::post(watch_io_, [this, api = api_, rv = resource_version_, timeout, &io, alive = alive_] {
      auto result = api->watch(rv, timeout, [&](k8s::WatchEvent event) {
        bool go_on = event.type != k8s::WatchType::error;
        asio::post(io, [this, alive, event = std::move(event)]() mutable {
          if (*alive) on_event(std::move(event));
        });
        return go_on;
      });
      asio::post(io, [this, alive, result = std::move(result)]() mutable {
        if (*alive) on_watch_end(std::move(result));
      });
    });
  }

  void on_event(k8s::WatchEvent event) {
    using k8s::WatchType;
    if (event.type == WatchType::error) {
      if (event.status.code == 410) {
        relist_ = true;
      } else {
        report(
            k8s::ApiFailure{Error{Errc::io, "watch: " + std::to_string(event.status.code) + " " +
                                                event.status.reason + ": " + event.status.message},
                            event.status.code});
      }
      return;
    }
    if (!event.resource_version.empty()) resource_version_ = event.resource_version;
    if (event.type == WatchType::bookmark) return;
    note_skipped(event.skipped);
    if (event.type == WatchType::deleted) {
      objects_.erase(event.object.key);
    } else {
      objects_[event.object.key] = std::move(event.object.addresses);
    }
    publish();
  }

  void on_watch_end(k8s::ApiResult<void> result) {
    watch_running_ = false;
    bool healthy = Clock::now() - watch_started_ >= kHealthyWatch;
    if (relist_ || (!result && result.error().http_status == 410)) {
      relist_ = false;
      resource_version_.clear();
      host_->log(LogLevel::info, "kubernetes: the watch's resource version expired; listing again");
      poll();
      return;
    }
    if (!result) {
      report(result.error());
      if (healthy) watch_failures_ = 0;
      auto delay = std::min<std::chrono::milliseconds>(
          kWatchRetryMax, kWatchRetryMin * (1 << std::min(watch_failures_, 6)));
      ++watch_failures_;
      retry_watch_after(delay);
      return;
    }
    watch_failures_ = 0;
    answered();
    // A normal end (the server's timeout): go on from the last version at
    // once, unless streams end as soon as they start.
    if (healthy) {
      maybe_start_watch();
    } else {
      retry_watch_after(1s);
    }
  }

  void retry_watch_after(std::chrono::milliseconds delay) {
    watch_retry_pending_ = true;
    watch_timer_->expires_after(delay);
    watch_timer_->async_wait([this, alive = alive_](const std::error_code& ec) {
      if (ec || !*alive) return;
      watch_retry_pending_ = false;
      maybe_start_watch();
    });
  }

  // --- results -------------------------------------------------------------

  void publish() {
    std::set<std::string> names;
    std::set<std::string> problems;
    for (const auto& [key, addresses] : objects_) {
      for (const auto& a : addresses) {
        if (!a.ready && !settings_.include_not_ready) continue;
        auto name = k8s::node_name(settings_.mode, {.basename = settings_.basename,
                                                    .ip = a.ip,
                                                    .hostname = a.hostname,
                                                    .ns = a.ns.empty() ? ns_ : a.ns,
                                                    .service = settings_.service_name,
                                                    .domain = settings_.cluster_domain});
        if (name) {
          names.insert(std::move(*name));
        } else {
          problems.insert(key + " address " + a.ip + ": " + name.error().message);
        }
      }
    }
    for (const auto& p : problems) {
      if (!naming_problems_.contains(p)) host_->dropped("kubernetes: " + p);
    }
    naming_problems_ = std::move(problems);
    host_->publish(std::vector<std::string>(names.begin(), names.end()));
  }

  void note_skipped(const std::vector<std::string>& skipped) {
    for (const auto& s : skipped) host_->dropped("kubernetes: " + s);
  }

  // 401 and 403 are reported once until the answer changes: they repeat
  // every poll and say the same thing (the RBAC rule that is missing).
  void report(const k8s::ApiFailure& failure) {
    bool auth = failure.http_status == 401 || failure.http_status == 403;
    if (auth) {
      if (failure.error.message == auth_problem_) {
        host_->discovery_failed_again(failure.error);  // counted, logged at debug
        return;
      }
      auth_problem_ = failure.error.message;
    }
    host_->discovery_failed(failure.error);
  }

  void answered() {
    if (auth_problem_.empty()) return;
    auth_problem_.clear();
    host_->log(LogLevel::info, "kubernetes: the API server accepts this service account again");
  }

  KubernetesSettings settings_;
  HttpClientFactory make_client_;
  StrategyHost* host_ = nullptr;
  std::string ns_;
  std::shared_ptr<k8s::KubernetesApi> api_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<asio::steady_timer> poll_timer_;
  std::optional<asio::steady_timer> watch_timer_;
  bool list_in_flight_ = false;

  std::map<std::string, std::vector<k8s::PodAddress>> objects_;
  std::string resource_version_;
  std::set<std::string> naming_problems_;
  std::string auth_problem_;

  asio::io_context watch_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> watch_work_;
  std::thread watch_thread_;
  bool watch_running_ = false;
  bool watch_retry_pending_ = false;
  bool relist_ = false;
  int watch_failures_ = 0;
  Clock::time_point watch_started_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace

std::unique_ptr<Strategy> build_kubernetes_strategy(KubernetesSettings settings,
                                                    HttpClientFactory make_client) {
  return std::make_unique<KubernetesStrategy>(std::move(settings), std::move(make_client));
}

}  // namespace beamlink::discovery
