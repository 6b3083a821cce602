// dist/connection.h - one live distribution connection: the owner of its
// transport after the handshake.
//
// Threading: everything but send()/submit() runs on the connection's strand.
// The reader coroutine reads into a FrameStream (frame_stream.h: memory
// grows only with bytes that arrived, large frames are weighed against the
// node's ReceiveBudget) and hands messages to the sink; a message over
// max_message_size or the budget is discarded, logged once and counted,
// and the connection stays up (dist_reader.h). The writer coroutine writes
// what senders queued (see "Sending" below). The node's TickScheduler calls
// check() when something may be due (tick_plan.h, and the send timeout): it
// sends ticks and liveness probes and asks the FailureDetector whether the
// peer is dead (see "Liveness" below and DistOptions in distribution.h).
// While probing is on, an idle direction ticks every liveness_probe, on a
// grid shared by all connections, so a beamlink peer never needs to probe
// us, and a peer flooding us still hears from us.
//
// Liveness: any bytes read prove the peer alive (the reader stamps each
// read, not each completed frame: a 10 MiB message takes a while). The
// detector does not count silence while our reader was away from the
// socket (delivering what it read), while our writes to the peer were
// blocked (a blocked write that completes proves the peer read), or while
// the scheduler itself ran late (our process or io threads stalled). A
// verdict is confirmed on the connection's strand before it closes: bytes
// read meanwhile save the peer. With our writes blocked only net_ticktime
// and the send timeout can drop the peer: check() also drops a peer that
// takes none of our bytes for send_timeout (check_send_timeout).
//
// Sending. send() may be called from any thread: it encodes into a
// thread-local scratch buffer outside any lock, then, under the queue lock,
// appends the bytes to the sender's lane. A lane is the sending process:
// the pid the control message names as the sender (From; for SPAWN_REPLY
// the new process), or one shared lane for messages without a sending pid
// (anonymous SEND). Each lane keeps its own order, so messages and signals
// from one process to another keep theirs.
//
// The writer serves, per batch (about kBatchBytes): first the rest of a
// message an inline write left half-written, then the priority lane (ticks
// and liveness probes, which so never wait behind queued data), then the
// lanes round-robin, whole frames at a time, about one fragment_size
// quantum per lane per turn. A 10 MiB message to a FRAGMENTS peer is 160
// fragment frames, so other senders' small messages go out between its
// fragments (as OTP 22+ does). A peer without DFLAG_FRAGMENTS gets each
// message as one frame, which nothing can interleave with. The writer
// writes with write_some, so every byte the socket takes counts as
// progress for the send timeout.
//
// Back-pressure: queued_bytes_ counts the bytes of the lanes and of a
// half-written message (not the priority lane). Over dist_buf_busy_limit
// the connection is busy, and submit() acts per its SendMode (see
// distribution.h). A sender on one of the distribution's own threads is
// never blocked: it queues up to the hard cap and past it its message is
// dropped, counted (stats().overflow_drops) and logged once.
//
// Inline fast path: when the writer is idle, nothing is queued and the
// path is armed, send() writes a small message to the socket itself. It
// claims the socket under the lock (socket_busy_, which also keeps the
// writer out), releases the lock, calls send(2) without blocking, and
// re-takes the lock to queue the rest (as the next bytes to go, before
// anything queued meanwhile) and hand the socket back; no lock is held
// across the system call and order holds. One inline write disarms the
// path until the next read or tick, so a burst of sends still shares the
// writer's gather writes while a request/reply exchange skips the hand-off
// to the I/O thread.
//
// Lifetime: the Distribution and the running coroutines hold shared
// pointers; the connection reports connection_down exactly once (then
// `on_down`) and is freed when the last holder lets go.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dist/dist_header.h"
#include "dist/distribution.h"
#include "dist/failure_detector.h"
#include "dist/peer_watch.h"
#include "dist/tick_scheduler.h"
#include "dist/transport.h"

namespace beamlink::dist {

struct ConnectionConfig {
  // Kept until the connection is destroyed, after all its I/O objects: the
  // io_context they belong to.
  std::shared_ptr<void> keep_alive;
  // The distribution's threads run it: a send on one of them never waits.
  asio::io_context* io = nullptr;
  std::string local_node;
  uint32_t local_creation = 0;
  std::chrono::milliseconds ticktime{60000};
  unsigned tick_intensity = 4;
  std::chrono::milliseconds liveness_probe{1000};
  std::chrono::milliseconds liveness_timeout{1500};
  size_t fragment_size = 64u << 10;
  size_t dist_buf_busy_limit = 1u << 20;          // see DistOptions
  std::chrono::milliseconds send_timeout{10000};  // 0: never
  std::chrono::milliseconds busy_send_timeout{10000};
  Logger logger;
  // Exceptions caught at this connection's roots and callbacks (node-wide).
  std::shared_ptr<std::atomic<uint64_t>> failures;
  // The node's one timer; the connection registers itself in start().
  std::shared_ptr<TickScheduler> scheduler;
  std::chrono::milliseconds check_period{250};  // the scheduler's slot
  // Receiving: see DistOptions. A null budget is unbounded.
  size_t max_message_size = kDefaultMaxMessageSize;
  std::shared_ptr<ReceiveBudget> receive_budget;
  // Who watches whom among beamlink peers (peer_watch.h); null: every
  // connection is watched closely, as with a peer that is not beamlink.
  std::shared_ptr<PeerWatch> peer_watch;
};

// Counters for tests and benchmarks. Read with relaxed ordering.
struct ConnectionStats {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> writes{0};  // batches the writer wrote, and inline writes
  // Bytes the socket took, counted as it takes them (progress).
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> frames_received{0};
  // Messages handed to the sink (not ticks, probe replies or liveness
  // messages); added once per read, not per message.
  std::atomic<uint64_t> messages_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> messages_discarded{0};  // on receipt (dist_reader.h)
  std::atomic<uint64_t> read_buffer_bytes{0};   // the reader's buffer now
  std::atomic<uint64_t> read_buffer_peak{0};    // and the most it ever held
  std::atomic<uint64_t> ticks_sent{0};
  std::atomic<uint64_t> probes_sent{0};
  std::atomic<uint64_t> checks{0};  // liveness checks by the scheduler
  // Verdicts withdrawn on confirmation (bytes arrived meanwhile).
  std::atomic<uint64_t> suspicions_withdrawn{0};
  std::atomic<uint64_t> busy_refusals{0};           // nosuspend sends refused while busy
  std::atomic<uint64_t> busy_waits{0};              // sends that waited for the queue to drain
  std::atomic<uint64_t> busy_timeouts{0};           // ... and gave up (dropped)
  std::atomic<uint64_t> overflow_drops{0};          // past the hard cap on a distribution thread
  std::atomic<uint64_t> inline_writes{0};           // messages written by the inline fast path
  std::atomic<uint64_t> pings_answered{0};          // liveness pings from the peer (peer_watch.h)
  std::atomic<uint64_t> verifications{0};           // suspicions from other nodes checked
  std::atomic<uint64_t> verifications_answered{0};  // ... that the peer answered
};

class ConnectionImpl final : public Connection,
                             public Ticked,
                             public WatchedPeer,
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
  SendStatus submit(const Term& control, const Term* payload, SendMode mode) override;
  SendStatus submit_send(const Pid& from, const Pid& to, bool has_sender, const Term& message,
                         SendMode mode) override;
  SendStatus submit_reg_send(const Pid& from, const Atom& name, const Term& message,
                             SendMode mode) override;
  void close(std::string reason) override;
  PeerMetrics metrics() const override;
  bool closed() const override { return closing_.load(std::memory_order_acquire); }

  bool initiated_by_us() const { return initiated_by_us_; }
  const ConnectionStats& stats() const { return stats_; }
  // Output bytes queued and not yet taken by the socket (the busy measure).
  size_t queued_bytes() const;
  bool busy() const;
  // Any thread: closes the connection if a write has been waiting for the
  // socket to take a byte for send_timeout. check() calls it; `now` is the
  // caller's clock reading.
  void check_send_timeout(Clock::time_point now);

  // Ticked: ticks, probes and the failure detector (scheduler's strand).
  Clock::time_point check(Clock::time_point now, Clock::duration stall) override;

  // WatchedPeer (peer_watch.h). Between beamlink peers (both said hello) a
  // connection is watched closely (probes, detector) only while
  // set_watching(true), and ticks every liveness_probe only while the peer
  // asked for it; otherwise both at Erlang's pace, with net_ticktime.
  const std::string& peer_name() const override { return peer_.name; }
  bool peer_closed() const override { return closed(); }
  void set_watching(bool on, uint64_t generation) override;
  void send_liveness(const LivenessMessage& message) override;
  void verify(const std::string& reason, bool verdict) override;
  bool beamlink_peer() const { return beamlink_peer_.load(std::memory_order_relaxed); }

 private:
  // Queued bytes of one or more complete frames. `sealed` items (one large
  // message) are never appended to; `taken` of them went to the writer.
  struct Item {
    std::vector<uint8_t> bytes;
    size_t taken = 0;
    bool sealed = false;
  };
  struct Lane {
    std::deque<Item> items;
    bool ready = false;  // in ready_
  };
  // What the writer writes next; filled under the lock, written outside.
  struct Batch {
    std::vector<asio::const_buffer> buffers;
    std::vector<std::vector<uint8_t>> hold;  // owns the bytes of `buffers`
    size_t bytes = 0;                        // counted in queued_bytes_
    size_t priority_bytes = 0;               // not counted
  };

  asio::awaitable<void> reader(std::vector<uint8_t> leftover);
  asio::awaitable<void> writer();
  // Encodes `control` (a Term, or bytes from control_prefix.h) and
  // `payload` and queues the frames on `lane`.
  template <class Control>
  SendStatus submit_frames(const Control& control, const Term* payload, uint64_t lane,
                           SendMode mode);
  // Queues the complete frames in `frames` (moving them when `whole`) on
  // lane `lane`, after admission per `mode`, or writes them inline.
  SendStatus enqueue(std::vector<uint8_t>& frames, bool whole, uint64_t lane, SendMode mode);
  // Queues frames on the priority lane (ticks, probes); false once closed.
  bool enqueue_priority(std::span<const uint8_t> frames);
  // REQUIRES: mutex_ held. Anything for the writer?
  bool has_output() const;
  void take_batch(Batch& batch);  // REQUIRES: mutex_ held
  // Recycled byte buffers (spare_). REQUIRES: mutex_ held.
  std::vector<uint8_t> take_spare();
  void keep_spares(Batch& batch);
  void wake_writer_locked(bool& wake);  // REQUIRES: mutex_ held
  void post_wake();
  void mark_written(size_t bytes);
  // True when the message went to the sink.
  bool handle(DistMessage& message);
  void discarded(const std::string& reason);
  bool is_probe_reply(const ControlHeader& header) const;
  bool is_probe_reply(const Term& control) const;  // a control message the header did not take
  void send_probe();
  void send_tick();
  // On the strand: a liveness message from the peer (peer_watch.h).
  void on_liveness(const DistMessage& message);
  // On the strand: tells the peer whether we watch it, if that changed.
  void sync_watch();
  // Whether this connection takes part in watching (peer_watch.h).
  bool takes_part() const;
  // Asks the scheduler to check this connection by `at`.
  void wake_check(Clock::time_point at);
  // On the strand: closes for `reason` unless bytes came after `heard`;
  // `silence`: our own detector's verdict (told to the other peers).
  void confirm_dead(Clock::rep heard, const std::string& reason,
                    std::optional<Clock::duration> silence);
  bool on_io_thread() const;
  // On the strand: closes the transport and reports connection_down once.
  void shut_down(const std::string& reason);
  void log(LogLevel level, const std::string& message) const;
  // Counts an exception caught at a root or around a callback, and logs it.
  void count_failure(const std::string& what) const;

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

  // Send queue, guarded by mutex_ (see "Sending" above).
  mutable std::mutex mutex_;
  std::condition_variable drained_;  // queued_bytes_ fell below the limit, or closed
  std::unordered_map<uint64_t, Lane> lanes_;
  std::deque<uint64_t> ready_;               // lanes with queued items, round-robin order
  std::vector<uint8_t> priority_;            // ticks and probes
  std::vector<uint8_t> front_;               // the rest of a half-written inline message
  std::vector<std::vector<uint8_t>> spare_;  // written buffers for reuse, emptied
  size_t queued_bytes_ = 0;
  size_t waiters_ = 0;           // senders waiting on drained_
  bool socket_busy_ = false;     // the writer or an inline sender is writing
  bool inline_writing_ = false;  // an inline sender is in send(2)
  bool writer_idle_ = false;
  bool wake_posted_ = false;
  bool queue_closed_ = false;
  bool overflow_logged_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<bool> inline_armed_{true};     // see "Inline fast path" above
  std::atomic<Clock::rep> last_written_{0};  // any thread writes it
  std::atomic<uint64_t> next_sequence_{1};
  // Set by the writer: when its current write began waiting for the socket
  // (0 while it is not writing), moved on by every byte the socket takes.
  std::atomic<Clock::rep> write_waiting_since_{0};

  // Strand-only state.
  asio::steady_timer wake_timer_;
  bool up_reported_ = false;
  bool down_reported_ = false;

  // Liveness stamps (Clock reps), written by the reader and writer on the
  // strand and read by check() on the scheduler's strand.
  std::atomic<Clock::rep> last_byte_at_{0};      // the latest read's bytes
  std::atomic<Clock::rep> reader_back_at_{0};    // reading since (0: away, handling)
  std::atomic<Clock::rep> write_started_at_{0};  // a gather write in flight since (0: none)
  std::atomic<Clock::rep> unblocked_at_{0};      // a blocked write last completed

  // Scheduler-strand-only state (check()).
  FailureDetector detector_;
  Clock::time_point last_probe_;
  uint32_t probe_counter_ = 0;
  std::atomic<bool> verdict_pending_{false};  // a confirm_dead is posted
  bool watched_closely_ = true;               // as of the last check()
  bool doubt_told_ = false;                   // the others were told of this silence (peer_watch.h)

  // Between beamlink peers (peer_watch.h).
  std::atomic<uint64_t> tick_id_{0};          // in the scheduler
  std::atomic<bool> beamlink_peer_{false};    // it said hello (and we take part)
  std::atomic<uint64_t> watch_state_{0};      // generation << 1 | watching
  std::atomic<bool> peer_watches_us_{false};  // it asked for fast ticks
  std::atomic<Clock::rep> verify_since_{0};   // a suspicion's ping went out (0: none)
  std::atomic<uint32_t> verify_reports_{0};   // watchers that reported it meanwhile
  bool watch_sent_ = false;                   // strand-only: what the peer was told
};

}  // namespace beamlink::dist
