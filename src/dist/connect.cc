// Distribution: outgoing and incoming handshakes, and the peer table's
// transitions (see distribution_impl.h).
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include "dist/distribution_impl.h"
#include "dist/flags.h"
#include "epmd/epmd_async.h"
#include "epmd/watchdog.h"

// GCC 12 inlines asio's coroutine-frame allocation into dial() and then
// wrongly reports its matching operator delete as mismatched.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace beamlink::dist {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// After a "nok" (the peer's simultaneous attempt wins), how long to wait
// for that attempt to show up before failing ours.
constexpr std::chrono::milliseconds kPeerAttemptGrace{2000};

void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void DistributionImpl::connect(const std::string& node, Done done) {
  std::shared_ptr<Attempt> attempt;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      answer({std::move(done)}, fail(Errc::closed, "distribution is stopping"));
      return;
    }
    if (node == options_.node_name) {
      answer({std::move(done)}, fail(Errc::invalid_argument, "cannot connect to ourselves"));
      return;
    }
    PeerEntry& entry = peers_[node];
    if (entry.up && !entry.up->closed()) {
      answer({std::move(done)}, std::shared_ptr<Connection>(entry.up));
      return;
    }
    entry.waiters.push_back(std::move(done));
    if (entry.outgoing || entry.incoming > 0) return;  // its outcome answers us too
    attempt = std::make_shared<Attempt>();
    attempt->strand = asio::make_strand(*io_);
    entry.outgoing = attempt;
  }
  asio::co_spawn(attempt->strand, outgoing(node, attempt),
                 root_guard("connecting to " + node, [this, node, attempt] {
                   attempt_over(node, attempt.get(),
                                Error{Errc::closed, "connecting to " + node + ": internal error"});
                 }));
}

HandshakeConfig DistributionImpl::handshake_config() {
  HandshakeConfig config;
  config.node_name = options_.node_name;
  config.cookie = options_.cookie;
  config.flags = advertised_flags(options_.hidden);
  config.creation = creation_;
  config.hidden = options_.hidden;
  std::lock_guard lock(mutex_);
  config.challenge = static_cast<uint32_t>(random_());
  return config;
}

asio::awaitable<Result<tcp::socket>> DistributionImpl::dial(
    const std::string& node, const std::shared_ptr<Attempt>& attempt) {
  const auto at = node.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == node.size()) {
    co_return fail(Errc::invalid_argument, "'" + node + "' is not of the form name@host");
  }
  const std::string alive = node.substr(0, at);
  const std::string host = node.substr(at + 1);
  uint16_t port = options_.peer_port;
  if (options_.use_epmd) {
    epmd::ClientOptions client;
    client.host = host;
    client.port = options_.epmd_port != 0 ? options_.epmd_port : epmd::default_port();
    client.timeout = options_.setup_time;
    auto info = co_await epmd::async_port_please(attempt->strand, client, alive);
    if (!info) co_return std::unexpected(info.error());
    port = info->port;
  } else if (port == 0) {
    co_return fail(Errc::invalid_argument, "use_epmd is false and peer_port is 0");
  }
  if (attempt->aborted) co_return fail(Errc::closed, "attempt aborted");

  tcp::resolver resolver(attempt->strand);
  tcp::socket socket(*io_);
  epmd::Watchdog watchdog(attempt->strand, options_.setup_time, [&] {
    resolver.cancel();
    asio::error_code ignored;
    socket.close(ignored);
  });
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(port), kNoThrow);
  if (resolve_error) co_return fail(Errc::io, "resolving " + host + ": " + resolve_error.message());
  auto [connect_error, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
  if (connect_error) {
    co_return fail(
        watchdog.expired() ? Errc::timeout : Errc::io,
        "TCP connect to " + host + ":" + std::to_string(port) + ": " + connect_error.message());
  }
  co_return std::move(socket);
}

asio::awaitable<void> DistributionImpl::outgoing(std::string node,
                                                 std::shared_ptr<Attempt> attempt) {
  const auto started = Clock::now();
  auto socket = co_await dial(node, attempt);
  if (!socket) {
    const Error error{socket.error().code, "connecting to " + node + ": " + socket.error().message};
    // Unreachable peers are routine (a node restarting, a stale discovery
    // entry); the caller gets the error and reports it at its own level.
    if (!attempt->aborted) {
      log(LogLevel::debug, error.message);
      bump(stats_.connect_failures);
    }
    attempt_over(node, attempt.get(), error);
    co_return;
  }
  auto transport = make_tcp_transport(std::move(*socket), attempt->strand);
  attempt->transport = transport.get();
  if (attempt->aborted) transport->close();
  auto handshake = Handshake::initiator(handshake_config(), node);
  const auto left = options_.setup_time -
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  const auto handshake_started = Clock::now();
  auto outcome =
      co_await run_handshake(*transport, handshake, std::max(left, std::chrono::milliseconds(1)));
  attempt->transport = nullptr;
  if (outcome) {
    const auto now = Clock::now();
    stats_.handshake_seconds.record(now - handshake_started);
    stats_.connect_seconds.record(now - started);
    connection_ready(std::move(transport), std::move(*outcome), true, false);
    co_return;
  }
  if (handshake.status() == kStatusNok) {
    // The peer's own attempt wins; its connection answers our waiters.
    log(LogLevel::debug, "connecting to " + node + ": simultaneous connect, the peer's wins");
    {
      std::lock_guard lock(mutex_);
      if (peers_[node].outgoing == attempt) peers_[node].outgoing.reset();
    }
    asio::steady_timer timer(attempt->strand);
    const auto refused_at = Clock::now();
    while (Clock::now() - started < options_.setup_time) {
      {
        std::lock_guard lock(mutex_);
        const PeerEntry& entry = peers_[node];
        if (entry.up || entry.waiters.empty() || stopping_) co_return;
        // The peer's attempt has not reached us (it may be unable to dial
        // us at all): give up early so the caller can retry.
        if (entry.incoming == 0 && Clock::now() - refused_at > kPeerAttemptGrace) break;
      }
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(kNoThrow);
    }
  }
  if (attempt->aborted) {
    attempt_over(node, attempt.get(), Error{Errc::closed, "attempt aborted"});
    co_return;
  }
  const Error& error = outcome.error();
  bump(stats_.connect_failures);
  if (handshake.status() != kStatusNok) bump(stats_.handshake_failures_outgoing);
  if (handshake.wrong_cookie() || error.message.find("wrong cookie") != std::string::npos) {
    log(LogLevel::error,
        "connection to " + node + " refused: wrong cookie (" + error.message + ")");
  } else if (handshake.status() != kStatusNok) {
    log(LogLevel::warning, "connecting to " + node + " failed: " + error.message);
  }
  attempt_over(node, attempt.get(), error);
}

asio::awaitable<void> DistributionImpl::incoming(tcp::socket socket,
                                                 std::shared_ptr<IncomingState> state) {
  auto executor = co_await asio::this_coro::executor;
  auto transport = make_tcp_transport(std::move(socket), executor);
  auto handshake = Handshake::acceptor(handshake_config(), [this, state](const std::string& peer) {
    state->peer = peer;
    return admit_incoming(peer, state->counted);
  });
  const auto handshake_started = Clock::now();
  auto outcome = co_await run_handshake(*transport, handshake, options_.setup_time);
  const std::string peer = handshake.peer().name;
  if (outcome) {
    stats_.handshake_seconds.record(Clock::now() - handshake_started);
    state->over = true;
    connection_ready(std::move(transport), std::move(*outcome), false,
                     handshake.status() == kStatusAlive);
    co_return;
  }
  const Error& error = outcome.error();
  if (handshake.status() != kStatusNok) bump(stats_.handshake_failures_incoming);
  if (handshake.wrong_cookie()) {
    log(LogLevel::error,
        "connection from " + peer + " (" + transport->remote() + ") refused: wrong cookie");
  } else if (handshake.status() == kStatusNok) {
    log(LogLevel::debug, "connection from " + peer + " refused: simultaneous connect, ours wins");
  } else {
    log(LogLevel::warning, "connection from " + (peer.empty() ? transport->remote() : peer) +
                               " failed: " + error.message);
  }
  state->over = true;
  if (state->counted) attempt_over(state->peer, nullptr, error);
}

PeerState DistributionImpl::admit_incoming(const std::string& peer, bool& counted) {
  std::shared_ptr<Attempt> abort;
  PeerState state = PeerState::none;
  {
    std::lock_guard lock(mutex_);
    PeerEntry& entry = peers_[peer];
    if (entry.up && !entry.up->closed()) {
      state = PeerState::connected;
    } else if (entry.outgoing) {
      state = PeerState::pending_outgoing;
    }
    // Mirror the machine's decision (handshake.h): everything but "nok"
    // proceeds, and "ok_simultaneous" drops our own attempt.
    const bool we_win = state == PeerState::pending_outgoing && !(peer > options_.node_name);
    counted = !we_win && !stopping_;
    if (counted) ++entry.incoming;
    if (state == PeerState::pending_outgoing && !we_win) {
      abort = std::move(entry.outgoing);
      entry.outgoing.reset();
    }
  }
  if (abort) {
    log(LogLevel::debug, "simultaneous connect with " + peer + ": the peer's attempt wins");
    asio::post(abort->strand, [abort] {
      abort->aborted = true;
      if (abort->transport != nullptr) abort->transport->close();
    });
  }
  return state;
}

void DistributionImpl::connection_ready(std::unique_ptr<Transport> transport,
                                        HandshakeOutcome outcome, bool initiated_by_us,
                                        bool replaces) {
  const std::string peer = outcome.peer.name;
  ConnectionConfig config;
  config.local_node = options_.node_name;
  config.local_creation = creation_;
  config.ticktime = options_.ticktime;
  config.tick_intensity = options_.tick_intensity;
  config.liveness_probe = options_.liveness_probe;
  config.liveness_timeout = options_.liveness_timeout;
  config.fragment_size = options_.fragment_size;
  config.max_message_size = options_.max_message_size;
  config.receive_budget = receive_budget_;
  config.logger = options_.logger;
  config.keep_alive = io_;
  config.failures = stats_.failures;
  config.scheduler = scheduler_;
  config.check_period = check_period_;
  config.dist_buf_busy_limit = options_.dist_buf_busy_limit;
  config.send_timeout = options_.send_timeout;
  config.busy_send_timeout = options_.busy_send_timeout;
  config.io = io_.get();
  config.peer_watch = peer_watch_;
  auto connection = std::make_shared<ConnectionImpl>(
      std::move(transport), outcome.peer, initiated_by_us, std::move(config), sink_,
      [this](const std::shared_ptr<ConnectionImpl>& gone) { connection_gone(gone); });

  std::shared_ptr<ConnectionImpl> old;
  std::vector<Done> waiters;
  bool keep = true;
  {
    std::lock_guard lock(mutex_);
    PeerEntry& entry = peers_[peer];
    if (initiated_by_us) {
      entry.outgoing.reset();
    } else if (entry.incoming > 0) {
      --entry.incoming;
    }
    if (stopping_) {
      keep = false;
    } else if (entry.up && !entry.up->closed()) {
      // Two connections raced to completion. Both nodes keep the one the
      // greater node initiated, so they agree; "alive" + "true" replaces.
      const auto initiator = [&](bool by_us) { return by_us ? options_.node_name : peer; };
      keep = replaces || initiator(initiated_by_us) > initiator(entry.up->initiated_by_us()) ||
             initiated_by_us == entry.up->initiated_by_us();
      if (keep) old = entry.up;
    }
    if (keep) {
      entry.up = connection;
      waiters = std::move(entry.waiters);
      entry.waiters.clear();
    }
  }
  if (!keep) {
    log(LogLevel::debug, "dropping a duplicate connection with " + peer);
    connection->close("duplicate connection");
    connection->start({});
    return;
  }
  bump(initiated_by_us ? stats_.connects_outgoing : stats_.connects_incoming);
  if (old) old->close("replaced by a newer connection with " + peer);
  log(LogLevel::info, std::string(initiated_by_us ? "connected to " : "connection from ") + peer +
                          (outcome.peer.hidden ? " (hidden)" : ""));
  connection->start(std::move(outcome.leftover));
  // Answer connect() callers only once the sink has seen connection_up, so a
  // caller never holds a connection the node runtime does not know yet.
  connection->after_start([this, connection, waiters = std::move(waiters)] {
    Result<std::shared_ptr<Connection>> result = std::shared_ptr<Connection>(connection);
    if (connection->closed()) {
      result = fail(Errc::closed,
                    "connection with " + connection->peer().name + " closed as it started");
    }
    for (const auto& waiter : waiters) {
      try {
        waiter(result);
      } catch (const std::exception& e) {
        count_failure(std::string("connect callback threw: ") + e.what());
      } catch (...) {
        count_failure("connect callback threw");
      }
    }
  });
}

void DistributionImpl::attempt_over(const std::string& peer, const Attempt* attempt,
                                    const Error& error) {
  std::vector<Done> waiters;
  {
    std::lock_guard lock(mutex_);
    auto found = peers_.find(peer);
    if (found == peers_.end()) return;
    PeerEntry& entry = found->second;
    if (attempt != nullptr) {
      if (entry.outgoing.get() == attempt) entry.outgoing.reset();
    } else if (entry.incoming > 0) {
      --entry.incoming;
    }
    if (!entry.up && !entry.outgoing && entry.incoming == 0) {
      waiters = std::move(entry.waiters);
      entry.waiters.clear();
      peers_.erase(found);
    }
  }
  answer(std::move(waiters), std::unexpected(error));
}

void DistributionImpl::connection_gone(const std::shared_ptr<ConnectionImpl>& connection) {
  std::lock_guard lock(mutex_);
  auto found = peers_.find(connection->peer().name);
  if (found == peers_.end() || found->second.up != connection) return;
  bump(stats_.disconnects);
  PeerEntry& entry = found->second;
  entry.up.reset();
  if (!entry.outgoing && entry.incoming == 0 && entry.waiters.empty()) peers_.erase(found);
}

void DistributionImpl::answer(std::vector<Done> waiters,
                              const Result<std::shared_ptr<Connection>>& result) {
  for (auto& waiter : waiters) {
    asio::post(*io_, [this, waiter = std::move(waiter), result] {
      try {
        waiter(result);
      } catch (const std::exception& e) {
        count_failure(std::string("connect callback threw: ") + e.what());
      } catch (...) {
        count_failure("connect callback threw");
      }
    });
  }
}

}  // namespace beamlink::dist
