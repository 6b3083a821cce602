// Distribution: start and stop, the listener and the EPMD registration.
// The handshakes and the peer table are in connect.cc.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <future>

#include "dist/control_message.h"
#include "dist/distribution_impl.h"
#include "epmd/epmd_async.h"

namespace beamlink::dist {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// The logger everything in src/dist uses: a throwing user logger is counted.
Logger safe_logger(Logger inner, std::shared_ptr<std::atomic<uint64_t>> failures) {
  if (!inner) return inner;
  return [inner = std::move(inner), failures](LogLevel level, std::string_view message) {
    try {
      inner(level, message);
    } catch (...) {
      failures->fetch_add(1, std::memory_order_relaxed);
    }
  };
}

// The scheduler's slot, the granularity its deadlines are rounded up to: a
// twentieth of the tick period (liveness_probe while probing). Fine enough
// that a silent peer's verdict is barely late; coarse enough that deadlines
// a few milliseconds apart (the peers' ticks arriving) share one wake-up.
std::chrono::milliseconds check_period_for(const DistOptions& options) {
  using std::chrono::milliseconds;
  const unsigned intensity = std::max(options.tick_intensity, 1u);
  const milliseconds tick_interval =
      std::max(milliseconds(1), options.ticktime / static_cast<int>(intensity));
  const milliseconds base = options.liveness_probe.count() > 0
                                ? std::min(options.liveness_probe, tick_interval)
                                : tick_interval;
  return std::max(milliseconds(1), base / 20);
}

}  // namespace

SendStatus Connection::submit_send(const Pid& from, const Pid& to, bool has_sender,
                                   const Term& message, SendMode mode) {
  const Term control = has_sender ? Term::tuple({Term(SEND_SENDER), Term(from), Term(to)})
                                  : Term::tuple({Term(SEND), Term::atom(""), Term(to)});
  return submit(control, &message, mode);
}

SendStatus Connection::submit_reg_send(const Pid& from, const Atom& name, const Term& message,
                                       SendMode mode) {
  const Term control = Term::tuple({Term(REG_SEND), Term(from), Term::atom(""), Term(name)});
  return submit(control, &message, mode);
}

Result<std::unique_ptr<Distribution>> Distribution::start(const DistOptions& options,
                                                          DistSink& sink) {
  const auto at = options.node_name.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == options.node_name.size()) {
    return fail(Errc::invalid_argument,
                "node name '" + options.node_name + "' is not of the form name@host");
  }
  if (options.io_threads == 0) return fail(Errc::invalid_argument, "io_threads is 0");
  auto distribution = std::make_unique<DistributionImpl>(options, sink);
  if (auto started = distribution->start(); !started) return std::unexpected(started.error());
  return std::unique_ptr<Distribution>(std::move(distribution));
}

DistributionImpl::DistributionImpl(const DistOptions& options, DistSink& sink)
    : options_(options),
      sink_(sink),
      receive_budget_(std::make_shared<ReceiveBudget>(options.reassembly_budget)),
      io_(std::make_shared<asio::io_context>()),
      work_(io_->get_executor()),
      control_(asio::make_strand(*io_)),
      acceptor_(control_),
      random_(std::random_device{}()) {
  options_.logger = safe_logger(options_.logger, stats_.failures);
  check_period_ = check_period_for(options_);
  if (options_.liveness_watchers > 0 && options_.liveness_probe.count() > 0) {
    peer_watch_ = std::make_shared<PeerWatch>(options_.node_name, options_.liveness_watchers);
  }
  scheduler_ =
      std::make_shared<TickScheduler>(asio::make_strand(*io_), check_period_,
                                      [this](const std::string& what) { count_failure(what); });
}

void DistributionImpl::count_failure(const std::string& what) const {
  stats_.failures->fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::error, what);
}

std::function<void(std::exception_ptr)> DistributionImpl::root_guard(
    std::string what, std::function<void()> cleanup) {
  return [this, what = std::move(what), cleanup = std::move(cleanup)](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      count_failure(what + " failed: " + e.what());
    } catch (...) {
      count_failure(what + " failed: unknown exception");
    }
    if (cleanup) cleanup();
  };
}

DistributionImpl::~DistributionImpl() {
  stop();
}

DistStats DistributionImpl::stats() const {
  return DistStats{receive_budget_->discarded_messages(), receive_budget_->discarded_bytes(),
                   receive_budget_->in_use(), stats_.failures->load(std::memory_order_relaxed)};
}

DistMetrics DistributionImpl::metrics() const {
  const auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  DistMetrics out;
  out.connects_outgoing = get(stats_.connects_outgoing);
  out.connects_incoming = get(stats_.connects_incoming);
  out.connect_failures = get(stats_.connect_failures);
  out.handshake_failures_outgoing = get(stats_.handshake_failures_outgoing);
  out.handshake_failures_incoming = get(stats_.handshake_failures_incoming);
  out.disconnects = get(stats_.disconnects);
  out.failures = get(*stats_.failures);
  out.handshake_seconds = stats_.handshake_seconds.snapshot();
  out.connect_seconds = stats_.connect_seconds.snapshot();
  return out;
}

void DistributionImpl::log(LogLevel level, const std::string& message) const {
  if (options_.logger) options_.logger(level, message);
}

Result<void> DistributionImpl::start() {
  if (auto listening = listen(); !listening) return listening;
  for (unsigned i = 0; i < options_.io_threads; ++i) {
    // The last root: a handler that throws ends that handler, not the node.
    threads_.emplace_back([this, io = io_] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          count_failure(std::string("io thread: handler threw: ") + e.what());
        } catch (...) {
          count_failure("io thread: handler threw");
        }
      }
    });
  }
  scheduler_->start();
  if (options_.use_epmd) {
    if (auto registered = register_with_epmd(); !registered) {
      stop();
      return registered;
    }
  } else {
    creation_ = options_.creation;
    while (creation_ < 4) creation_ = static_cast<uint32_t>(random_());
  }
  if (options_.creation != 0) creation_ = options_.creation;
  asio::co_spawn(control_, accept_loop(), root_guard("accept loop"));
  log(LogLevel::info, "node " + options_.node_name + " listening on " + options_.listen_address +
                          ":" + std::to_string(listen_port_) + " (creation " +
                          std::to_string(creation_) + ")");
  return {};
}

Result<void> DistributionImpl::listen() {
  asio::error_code error;
  const auto address = asio::ip::make_address(options_.listen_address, error);
  if (error) {
    return fail(Errc::invalid_argument,
                "listen address '" + options_.listen_address + "' is not an IP literal");
  }
  const uint16_t first = options_.listen_port_min;
  const uint16_t last = std::max(options_.listen_port_min, options_.listen_port_max);
  std::string last_error;
  for (uint32_t port = first; port <= last; ++port) {
    asio::ip::tcp::acceptor acceptor(control_);
    const asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (!error) {
      listen_port_ = acceptor.local_endpoint().port();
      acceptor_ = std::move(acceptor);
      return {};
    }
    last_error = error.message();
  }
  return fail(Errc::io, "cannot listen on " + options_.listen_address + " ports " +
                            std::to_string(first) + ".." + std::to_string(last) + ": " +
                            last_error);
}

Result<void> DistributionImpl::register_with_epmd() {
  epmd::ClientOptions client;
  client.host = options_.epmd_host;
  client.port = options_.epmd_port != 0 ? options_.epmd_port : epmd::default_port();
  client.timeout = options_.setup_time;
  epmd::NodeInfo node;
  node.name = options_.node_name.substr(0, options_.node_name.find('@'));
  node.port = listen_port_;
  node.node_type = options_.hidden ? epmd::kNodeTypeHidden : epmd::kNodeTypeNormal;
  auto registering = [this, client, node]() -> asio::awaitable<Result<uint32_t>> {
    auto registration = co_await epmd::async_register_node(control_, client, node);
    if (!registration) co_return std::unexpected(registration.error());
    registration_ = std::move(*registration);
    co_return registration_.creation();
  };
  auto future = asio::co_spawn(control_, registering(), asio::use_future);
  if (future.wait_for(options_.setup_time + std::chrono::seconds(1)) != std::future_status::ready) {
    return fail(Errc::timeout, "EPMD registration of " + options_.node_name + " did not finish");
  }
  auto creation = future.get();
  if (!creation) {
    return fail(creation.error().code,
                "registering " + options_.node_name + " with EPMD: " + creation.error().message);
  }
  creation_ = *creation;
  return {};
}

asio::awaitable<void> DistributionImpl::accept_loop() {
  for (;;) {
    asio::ip::tcp::socket socket(*io_);
    auto [error] = co_await acceptor_.async_accept(socket, kNoThrow);
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (error) {
      log(LogLevel::warning,
          "accept on port " + std::to_string(listen_port_) + ": " + error.message());
      continue;
    }
    auto strand = asio::make_strand(*io_);
    auto state = std::make_shared<IncomingState>();
    asio::co_spawn(
        strand, incoming(std::move(socket), state), root_guard("incoming handshake", [this, state] {
          if (state->counted && !state->over) {
            attempt_over(state->peer, nullptr, Error{Errc::closed, "incoming handshake failed"});
          }
        }));
  }
}

std::shared_ptr<Connection> DistributionImpl::connection(std::string_view node) const {
  std::lock_guard lock(mutex_);
  auto found = peers_.find(node);
  if (found == peers_.end() || !found->second.up || found->second.up->closed()) return nullptr;
  return found->second.up;
}

std::vector<std::shared_ptr<Connection>> DistributionImpl::connections() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> out;
  for (const auto& [name, entry] : peers_) {
    if (entry.up && !entry.up->closed()) out.push_back(entry.up);
  }
  return out;
}

void DistributionImpl::disconnect(std::string_view node) {
  if (auto existing = connection(node)) existing->close("disconnected by this node");
}

Result<std::shared_ptr<Connection>> DistributionImpl::connect_sync(const std::string& node) {
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<Connection>>>>();
  auto future = promise->get_future();
  connect(node, [promise](Result<std::shared_ptr<Connection>> result) {
    promise->set_value(std::move(result));
  });
  if (future.wait_for(options_.setup_time + std::chrono::seconds(2)) != std::future_status::ready) {
    return fail(Errc::timeout, "connecting to " + node + ": no result within " +
                                   std::to_string(options_.setup_time.count()) + " ms");
  }
  return future.get();
}

void DistributionImpl::stop() {
  if (stopped_.exchange(true)) return;
  std::vector<std::shared_ptr<ConnectionImpl>> live;
  std::vector<std::shared_ptr<Attempt>> attempts;
  std::vector<Done> waiters;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [name, entry] : peers_) {
      if (entry.up) live.push_back(entry.up);
      if (entry.outgoing) attempts.push_back(entry.outgoing);
      for (auto& waiter : entry.waiters) waiters.push_back(std::move(waiter));
      entry.waiters.clear();
    }
  }
  asio::post(control_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
  });
  for (const auto& attempt : attempts) {
    asio::post(attempt->strand, [attempt] {
      attempt->aborted = true;
      if (attempt->transport != nullptr) attempt->transport->close();
    });
  }
  for (const auto& connection : live) connection->close("distribution stopping");
  scheduler_->stop();
  answer(std::move(waiters),
         fail(Errc::closed, "distribution of " + options_.node_name + " is stopping"));
  // Let every connection report connection_down before the threads go.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!threads_.empty() && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      bool any = false;
      for (const auto& [name, entry] : peers_) any = any || entry.up != nullptr;
      if (!any) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!threads_.empty()) {
    auto closed = asio::co_spawn(
        control_,
        [this]() -> asio::awaitable<void> {
          registration_.close();
          co_return;
        },
        asio::use_future);
    closed.wait_for(std::chrono::seconds(5));
  }
  // Let the closed connections' coroutines finish (that releases them);
  // stop hard only if something, such as a handshake, is still running.
  work_.reset();
  for (int i = 0; i < 400 && !io_->stopped(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io_->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  log(LogLevel::info, "node " + options_.node_name + " stopped");
}

}  // namespace beamlink::dist
