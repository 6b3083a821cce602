// Cluster: the strategy thread, the worker pool, one StrategyHost per
// topology, node events into the reconciler, and the startup wait.
#include "beamlink/cluster.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>

#include "beamlink/epmd.h"
#include "discovery/reconciler.h"
#include "discovery/strategy_table.h"
#include "discovery/worker_pool.h"

namespace beamlink {
namespace {

using discovery::Reconciler;
using discovery::Strategy;
using discovery::StrategyHost;
using discovery::WorkerPool;

class TopologyHost final : public StrategyHost {
 public:
  TopologyHost(asio::io_context& io, WorkerPool& pool, Reconciler& reconciler, size_t index,
               const std::string& self, uint16_t epmd_port,
               std::shared_ptr<std::atomic<bool>> stopped)
      : io_(io),
        pool_(pool),
        reconciler_(reconciler),
        index_(index),
        self_(self),
        epmd_port_(epmd_port),
        stopped_(std::move(stopped)) {}

  asio::io_context& io() override { return io_; }
  const std::string& self() const override { return self_; }
  uint16_t epmd_port() const override { return epmd_port_; }
  void publish(std::vector<std::string> nodes) override {
    reconciler_.set_desired(index_, std::move(nodes));
  }
  void discovery_failed(const Error& error) override {
    reconciler_.discovery_failed(index_, error, LogLevel::warning);
  }
  void discovery_failed_again(const Error& error) override {
    reconciler_.discovery_failed(index_, error, LogLevel::debug);
  }
  void dropped(std::string_view why) override { reconciler_.dropped(index_, why); }
  void log(LogLevel level, std::string_view message) override {
    reconciler_.log(index_, level, message);
  }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    pool_.post([this, work = std::move(work), done = std::move(done), stopped = stopped_] {
      work();
      if (stopped->load()) return;
      asio::post(io_, [done, stopped] {
        if (!stopped->load()) done();
      });
    });
  }

 private:
  asio::io_context& io_;
  WorkerPool& pool_;
  Reconciler& reconciler_;
  size_t index_;
  const std::string& self_;
  uint16_t epmd_port_;
  std::shared_ptr<std::atomic<bool>> stopped_;
};

ClusterHooks default_hooks(Node& node, ClusterHooks hooks) {
  if (!hooks.connect && !hooks.connect_async) {
    hooks.connect_async = [&node](std::string_view n, std::function<void(Result<void>)> done) {
      node.connect_async(n, std::move(done));
    };
  }
  if (!hooks.disconnect) hooks.disconnect = [&node](std::string_view n) { node.disconnect(n); };
  if (!hooks.list_nodes) hooks.list_nodes = [&node] { return node.nodes(NodeKind::all); };
  return hooks;
}

class ClusterImpl final : public Cluster {
 public:
  ClusterImpl(Node& node, ClusterOptions options)
      : node_(node),
        options_(std::move(options)),
        self_(node.name()),
        pool_(std::max<size_t>(1, options_.reconciler.connect_threads)),
        hooks_(default_hooks(node, options_.hooks)),
        reconciler_(io_, pool_, hooks_, options_.reconciler, self_, options_.logger) {}

  // Joins the workers before any member they use goes away.
  ~ClusterImpl() override {
    stop();
    pool_.stop();
  }

  Result<void> start(std::vector<std::unique_ptr<Strategy>> strategies) {
    uint16_t epmd_port = options_.epmd_port != 0 ? options_.epmd_port : epmd::default_port();
    for (size_t i = 0; i < strategies.size(); ++i) {
      const TopologySpec& spec = options_.topologies[i];
      size_t index = reconciler_.add_topology(spec.name, spec.strategy, strategies[i]->prunes(),
                                              strategies[i]->retry_max());
      hosts_.push_back(std::make_unique<TopologyHost>(io_, pool_, reconciler_, index, self_,
                                                      epmd_port, stopped_));
    }
    strategies_ = std::move(strategies);

    subscription_ = node_.subscribe_node_events([this](const NodeEvent& event) {
      if (event.kind == NodeEvent::Kind::up) {
        asio::post(io_, [this, n = event.node] { reconciler_.node_up(n); });
      } else {
        asio::post(io_, [this, n = event.node, r = event.reason] { reconciler_.node_down(n, r); });
      }
      peers_changed_.notify_all();
    });

    // Start strategies on the strategy thread, so they never race it.
    std::promise<Result<void>> started;
    auto future = started.get_future();
    asio::post(io_, [this, &started] {
      for (size_t i = 0; i < strategies_.size(); ++i) {
        auto result = strategies_[i]->start(*hosts_[i]);
        if (!result) {
          for (size_t j = 0; j < i; ++j) strategies_[j]->stop();
          started.set_value(std::unexpected(result.error()));
          return;
        }
        running_ = i + 1;
      }
      reconciler_.start();
      started.set_value({});
    });
    thread_ = std::thread([this] { io_.run(); });
    auto result = future.get();
    if (!result) {
      running_ = 0;
      stop();
      return result;
    }
    if (options_.logger) {
      for (const auto& spec : options_.topologies) {
        options_.logger(LogLevel::info, spec.name, "started (strategy " + spec.strategy + ")");
      }
    }
    return wait_for_peers();
  }

  bool ready() const override { return ready_.load(); }

  std::vector<TopologyStatus> status() const override { return reconciler_.status(); }

  void stop() override {
    std::lock_guard lock(stop_mutex_);
    if (stopped_all_) return;
    stopped_all_ = true;
    if (subscription_ != 0) node_.unsubscribe_node_events(subscription_);
    peers_changed_.notify_all();
    if (thread_.joinable()) {
      std::promise<void> done;
      asio::post(io_, [this, &done] {
        for (size_t i = 0; i < running_; ++i) strategies_[i]->stop();
        reconciler_.stop();
        stopped_->store(true);
        done.set_value();
      });
      done.get_future().wait();
      work_.reset();
      io_.stop();
      thread_.join();
    }
    stopped_->store(true);
    // Queued work is dropped; a connect already dialling ends by itself
    // (bounded by the node's setup time, at once when the node stops) and
    // is joined by the destructor, so stop() itself never waits on it.
    pool_.close();
  }

 private:
  size_t visible_peers() const { return node_.nodes(NodeKind::visible).size(); }

  Result<void> wait_for_peers() {
    const StartupOptions& startup = options_.startup;
    if (startup.min_peers == 0) {
      ready_ = true;
      return {};
    }
    auto deadline = std::chrono::steady_clock::now() + startup.timeout;
    std::unique_lock lock(wait_mutex_);
    bool reached = false;
    for (;;) {
      if (visible_peers() >= startup.min_peers) {
        reached = true;
        break;
      }
      if (stopped_all_ || std::chrono::steady_clock::now() >= deadline) break;
      // Events wake us; the short period covers peers counted otherwise.
      peers_changed_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                             std::chrono::milliseconds(100)));
    }
    std::string first = options_.topologies.empty() ? "cluster" : options_.topologies[0].name;
    if (reached) {
      if (options_.logger) {
        options_.logger(LogLevel::info, first,
                        "ready: " + std::to_string(visible_peers()) + " peer(s) connected");
      }
      ready_ = true;
      return {};
    }
    std::string message = "startup: " + std::to_string(visible_peers()) + " of " +
                          std::to_string(startup.min_peers) + " peer(s) after " +
                          std::to_string(startup.timeout.count()) + " ms";
    if (startup.required) {
      lock.unlock();
      stop();
      return fail(Errc::timeout, message + " (required)");
    }
    if (options_.logger) options_.logger(LogLevel::warning, first, message + "; ready anyway");
    ready_ = true;
    return {};
  }

  Node& node_;
  ClusterOptions options_;
  std::string self_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  WorkerPool pool_;
  ClusterHooks hooks_;
  Reconciler reconciler_;
  std::vector<std::unique_ptr<TopologyHost>> hosts_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  size_t running_ = 0;
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
  std::thread thread_;
  uint64_t subscription_ = 0;
  std::atomic<bool> ready_{false};
  std::mutex wait_mutex_;
  std::condition_variable peers_changed_;
  std::mutex stop_mutex_;
  bool stopped_all_ = false;
};

}  // namespace

Result<void> Cluster::validate(const std::vector<TopologySpec>& topologies) {
  std::set<std::string> names;
  for (const auto& spec : topologies) {
    if (spec.name.empty()) return fail(Errc::invalid_argument, "a topology needs a name");
    if (!names.insert(spec.name).second) {
      return fail(Errc::invalid_argument, "topology '" + spec.name + "' is defined twice");
    }
    auto strategy = discovery::create_strategy(spec);
    if (!strategy) return std::unexpected(strategy.error());
  }
  return {};
}

Result<std::unique_ptr<Cluster>> Cluster::start(Node& node, ClusterOptions options) {
  if (auto valid = validate(options.topologies); !valid) return std::unexpected(valid.error());
  std::vector<std::unique_ptr<Strategy>> strategies;
  for (const auto& spec : options.topologies) {
    auto strategy = discovery::create_strategy(spec);
    if (!strategy) return std::unexpected(strategy.error());
    strategies.push_back(std::move(*strategy));
  }
  auto cluster = std::make_unique<ClusterImpl>(node, std::move(options));
  if (auto started = cluster->start(std::move(strategies)); !started) {
    return std::unexpected(started.error());
  }
  return cluster;
}

}  // namespace beamlink
