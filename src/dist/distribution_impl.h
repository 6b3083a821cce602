// dist/distribution_impl.h - the Distribution behind Distribution::start.
//
// Threads: options.io_threads run one io_context. The listener, each
// connection attempt and each connection run on strands of their own; the
// EPMD registration lives on `control_`. The peer table (one entry per peer
// node: its live connection, whether an outgoing attempt or incoming
// handshakes are under way, and the connect() callers waiting) is guarded by
// `mutex_`; no callback is ever invoked with it held.
//
// distribution.cc holds start/stop, the listener and EPMD; connect.cc the
// outgoing and incoming handshakes and the peer table's transitions.
//
// Isolation: every coroutine root (accept loop, handshakes, connections,
// the tick scheduler) and every io thread catches what escapes, logs it
// and counts it in stats().failures; only that handshake or connection is
// torn down. The logger handed to everything in src/dist is wrapped so a
// throwing logger is counted, never fatal; so are connect() callbacks.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "beamlink/epmd.h"
#include "dist/connection.h"
#include "dist/distribution.h"
#include "dist/handshake.h"
#include "dist/handshake_io.h"
#include "dist/tick_scheduler.h"
#include "metrics/latency_histogram.h"

namespace beamlink::dist {

class DistributionImpl final : public Distribution {
 public:
  using Done = std::function<void(Result<std::shared_ptr<Connection>>)>;

  DistributionImpl(const DistOptions& options, DistSink& sink);
  ~DistributionImpl() override;

  Result<void> start();

  const std::string& node_name() const override { return options_.node_name; }
  uint32_t creation() const override { return creation_; }
  uint16_t listen_port() const override { return listen_port_; }
  void connect(const std::string& node, Done done) override;
  Result<std::shared_ptr<Connection>> connect_sync(const std::string& node) override;
  std::shared_ptr<Connection> connection(std::string_view node) const override;
  std::vector<std::shared_ptr<Connection>> connections() const override;
  void disconnect(std::string_view node) override;
  void stop() override;
  DistStats stats() const override;
  DistMetrics metrics() const override;

  struct Counters {
    // Exceptions caught at a coroutine root or around a callback.
    std::shared_ptr<std::atomic<uint64_t>> failures = std::make_shared<std::atomic<uint64_t>>(0);
    // Connection setup (DistMetrics), counted where it happens.
    std::atomic<uint64_t> connects_outgoing{0};
    std::atomic<uint64_t> connects_incoming{0};
    std::atomic<uint64_t> connect_failures{0};
    std::atomic<uint64_t> handshake_failures_outgoing{0};
    std::atomic<uint64_t> handshake_failures_incoming{0};
    std::atomic<uint64_t> disconnects{0};
    metrics::LatencyHistogram handshake_seconds;
    metrics::LatencyHistogram connect_seconds;
  };
  const Counters& counters() const { return stats_; }
  const TickScheduler& scheduler() const { return *scheduler_; }
  const PeerWatch* peer_watch() const { return peer_watch_.get(); }

 private:
  // An outgoing attempt, so that a winning simultaneous connect can abort it.
  struct Attempt {
    asio::any_io_executor strand;
    Transport* transport = nullptr;  // strand-only; set while connected
    bool aborted = false;            // strand-only
  };
  struct PeerEntry {
    std::shared_ptr<ConnectionImpl> up;
    std::shared_ptr<Attempt> outgoing;
    int incoming = 0;  // acceptor handshakes past the name stage
    std::vector<Done> waiters;
  };

  Result<void> listen();
  Result<void> register_with_epmd();
  asio::awaitable<void> accept_loop();
  // What an incoming handshake booked in the peer table (for its cleanup).
  struct IncomingState {
    bool counted = false;  // admit_incoming counted it in the peer's entry
    bool over = false;     // connection_ready or attempt_over ran
    std::string peer;
  };
  asio::awaitable<void> incoming(asio::ip::tcp::socket socket,
                                 std::shared_ptr<IncomingState> state);
  asio::awaitable<void> outgoing(std::string node, std::shared_ptr<Attempt> attempt);
  asio::awaitable<Result<asio::ip::tcp::socket>> dial(const std::string& node,
                                                      const std::shared_ptr<Attempt>& attempt);

  HandshakeConfig handshake_config();
  // The acceptor's PeerLookup. Also books the decision the machine will
  // make: counts the incoming handshake (unless we answer nok) and aborts our
  // own attempt when the peer wins a simultaneous connect.
  PeerState admit_incoming(const std::string& peer, bool& counted);
  // After a successful handshake: registers (or refuses, for a duplicate)
  // and starts the connection, and answers the waiters.
  void connection_ready(std::unique_ptr<Transport> transport, HandshakeOutcome outcome,
                        bool initiated_by_us, bool replaces);
  // An attempt or incoming handshake ended without a connection.
  // `attempt` is the outgoing attempt, or nullptr for an incoming handshake.
  void attempt_over(const std::string& peer, const Attempt* attempt, const Error& error);
  void connection_gone(const std::shared_ptr<ConnectionImpl>& connection);
  void answer(std::vector<Done> waiters, const Result<std::shared_ptr<Connection>>& result);
  void log(LogLevel level, const std::string& message) const;
  // The completion of a coroutine root: counts and logs an escaped exception.
  std::function<void(std::exception_ptr)> root_guard(std::string what,
                                                     std::function<void()> cleanup = {});
  void count_failure(const std::string& what) const;

  Counters stats_;
  DistOptions options_;  // its logger wrapped: never throws
  DistSink& sink_;
  // Shared by every connection's reader (receive_budget.h).
  std::shared_ptr<ReceiveBudget> receive_budget_;
  uint32_t creation_ = 0;
  uint16_t listen_port_ = 0;

  // Shared with every connection, which may outlive this object in the
  // hands of the node runtime: its sockets and timers need the io_context.
  std::shared_ptr<asio::io_context> io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::any_io_executor control_;
  std::shared_ptr<TickScheduler> scheduler_;  // the node's one timer
  std::shared_ptr<PeerWatch> peer_watch_;     // null: every connection watched closely
  std::chrono::milliseconds check_period_{250};
  asio::ip::tcp::acceptor acceptor_;
  epmd::Registration registration_;  // control_-only
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  std::map<std::string, PeerEntry, std::less<>> peers_;
  std::mt19937_64 random_;  // under mutex_
  bool stopping_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace beamlink::dist
