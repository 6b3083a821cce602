// dist/connection.h - one live distribution connection: the owner of its
// transport after the handshake.
//
// Threading: everything but send() runs on the connection's strand. The
// reader coroutine reads into a FrameStream (frame_stream.h: memory grows
// only with bytes that arrived, large frames are weighed against the
// node's ReceiveBudget) and hands messages to the sink; a message over
// max_message_size or the budget is discarded, logged once and counted,
// and the connection stays up (dist_reader.h). The writer
// coroutine swaps the whole send queue out under a short lock and writes it
// with one gather write per wake-up, so many small messages share one
// system call; a timer coroutine sends ticks and liveness probes and drops a
// silent peer (see DistOptions in distribution.h). While probing is on, a
// tick also goes out whenever nothing was written for liveness_probe, so a
// peer flooding us (its probes queued behind its own backlog) still hears
// from us.
//
// send() may be called from any thread: it encodes into a thread-local
// scratch buffer, then appends the bytes to the queue's current chunk under
// the lock (large messages are moved in whole) and wakes the writer only
// when it is idle. Inline fast path: when the writer is idle, the queue is
// empty and the path is armed, send() writes a small message to the socket
// itself (non-blocking, under the lock, so only one thread writes at a
// time and order holds); what the socket does not take is queued for the
// writer. One inline write disarms the path until the next read or tick,
// so a burst of sends still shares the writer's gather writes while a
// request/reply exchange skips the hand-off to the I/O thread.
//
// Lifetime: the Distribution and the running coroutines hold shared
// pointers; the connection reports connection_down exactly once (then
// `on_down`) and is freed when the last holder lets go.
#pragma once

#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "dist/dist_header.h"
#include "dist/distribution.h"
#include "dist/transport.h"

namespace beamlink::dist {

struct ConnectionConfig {
  // Kept until the connection is destroyed, after all its I/O objects: the
  // io_context they belong to.
  std::shared_ptr<void> keep_alive;
  std::string local_node;
  uint32_t local_creation = 0;
  std::chrono::milliseconds ticktime{60000};
  unsigned tick_intensity = 4;
  std::chrono::milliseconds liveness_probe{1000};
  std::chrono::milliseconds liveness_timeout{1500};
  size_t fragment_size = 64u << 10;
  Logger logger;
  // Receiving: see DistOptions. A null budget is unbounded.
  size_t max_message_size = kDefaultMaxMessageSize;
  std::shared_ptr<ReceiveBudget> receive_budget;
};

// Counters for tests and benchmarks. Read with relaxed ordering.
struct ConnectionStats {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> writes{0};  // gather writes issued by the writer
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> frames_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> messages_discarded{0};  // on receipt (dist_reader.h)
  std::atomic<uint64_t> read_buffer_bytes{0};   // the reader's buffer now
  std::atomic<uint64_t> read_buffer_peak{0};    // and the most it ever held
  std::atomic<uint64_t> ticks_sent{0};
  std::atomic<uint64_t> probes_sent{0};
};

class ConnectionImpl final : public Connection,
                             public std::enable_shared_from_this<ConnectionImpl> {
 public:
  using Clock = std::chrono::steady_clock;
  using DownHook = std::function<void(const std::shared_ptr<ConnectionImpl>&)>;

  ConnectionImpl(std::unique_ptr<Transport> transport, PeerInfo peer, bool initiated_by_us,
                 ConnectionConfig config, DistSink& sink, DownHook on_down);
  ~ConnectionImpl() override;

  // Reports connection_up and starts the coroutines. `leftover`: bytes read
  // after the handshake. Call once.
  void start(std::vector<uint8_t> leftover);
  // Runs `fn` on the strand after start()'s connection_up (or its silent
  // close, if the connection closed before it started).
  void after_start(std::function<void()> fn);

  const PeerInfo& peer() const override { return peer_; }
  bool send(const Term& control, const Term* payload = nullptr) override;
  void close(std::string reason) override;
  bool closed() const override { return closing_.load(std::memory_order_acquire); }

  bool initiated_by_us() const { return initiated_by_us_; }
  const ConnectionStats& stats() const { return stats_; }

 private:
  asio::awaitable<void> reader(std::vector<uint8_t> leftover);
  asio::awaitable<void> writer();
  asio::awaitable<void> ticker();
  // Queues already-framed bytes (or writes them inline when `may_inline`
  // and the fast path is open). Returns false once closed.
  bool enqueue(std::span<const uint8_t> frames, std::vector<uint8_t>* whole = nullptr,
               bool may_inline = false);
  bool queue_empty() const;  // REQUIRES: mutex_ held
  void mark_written(size_t bytes);
  void handle(DistMessage& message);
  void discarded(const std::string& reason);
  bool is_probe_reply(const Term& control) const;
  void send_probe();
  // On the strand: closes the transport and reports connection_down once.
  void shut_down(const std::string& reason);
  void log(LogLevel level, const std::string& message) const;

  std::shared_ptr<void> keep_alive_;  // first member: destroyed last
  std::unique_ptr<Transport> transport_;
  asio::any_io_executor strand_;
  PeerInfo peer_;
  bool initiated_by_us_;
  ConnectionConfig config_;
  DistSink& sink_;
  DownHook on_down_;
  SendFormat format_;
  DistReader dist_reader_;
  ConnectionStats stats_;

  // Send queue, guarded by mutex_. The writer swaps `queue_` with
  // `writing_` and writes outside the lock.
  std::mutex mutex_;
  std::vector<std::vector<uint8_t>> queue_;
  bool writer_idle_ = false;
  bool wake_posted_ = false;
  bool queue_closed_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<bool> inline_armed_{true};     // see "Inline fast path" above
  std::atomic<Clock::rep> last_written_{0};  // any thread writes it
  std::atomic<uint64_t> next_sequence_{1};

  // Strand-only state.
  std::vector<std::vector<uint8_t>> writing_;
  asio::steady_timer wake_timer_;
  asio::steady_timer tick_timer_;
  bool up_reported_ = false;
  bool down_reported_ = false;
  std::chrono::steady_clock::time_point last_received_;
  std::chrono::steady_clock::time_point last_probe_;
  uint32_t probe_counter_ = 0;
};

}  // namespace beamlink::dist
