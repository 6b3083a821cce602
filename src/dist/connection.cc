// A live distribution connection; see connection.h.
#include "dist/connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <utility>

#include "dist/control_message.h"
#include "dist/control_prefix.h"
#include "dist/flags.h"
#include "dist/frame_stream.h"
#include "dist/liveness_messages.h"
#include "dist/tick_plan.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

using Clock = ConnectionImpl::Clock;
using std::chrono::milliseconds;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

constexpr size_t kMoveThreshold = 64u << 10;  // larger messages are queued whole, not copied
// The writer's batch: about this many bytes per gather write, so a tick or
// a small message queued behind a stream waits for at most one batch.
constexpr size_t kBatchBytes = 256u << 10;
constexpr size_t kMinQuantum = 16u << 10;       // a lane's turn: at least this much
constexpr size_t kMaxPriorityBytes = 4u << 10;  // ticks and probes held at most
constexpr size_t kMaxIdleLanes = 256;           // more empty lanes than this are dropped
// Written buffers kept for the next small messages (no allocation per
// message in steady state): at most this many, of at most this capacity.
constexpr size_t kMaxSpareBuffers = 8;
constexpr size_t kMaxSpareCapacity = 2 * kMoveThreshold;

// The lane (see connection.h) of a sending process.
uint64_t lane_of(const Pid& pid) {
  return (uint64_t{pid.id} << 32 | pid.serial) + 1;
}

// The lane of a control message: its sending process,
// or 0 for messages without one.
uint64_t lane_of(const Term& control) {
  const auto op = control_op(control);
  if (!op) return 0;
  size_t at = 1;  // From, in most control messages
  switch (*op) {
    case SEND:
    case SEND_TT:
      return 0;  // anonymous
    case SPAWN_REQUEST:
    case SPAWN_REQUEST_TT:
    case UNLINK_ID:
    case UNLINK_ID_ACK:
      at = 2;
      break;
    case SPAWN_REPLY:
    case SPAWN_REPLY_TT:
      at = 4;  // the new process: its reply goes before its messages
      break;
    default:
      break;
  }
  const Term* from = control.element(at);
  const Pid* pid = from == nullptr ? nullptr : from->get_if<Pid>();
  return pid == nullptr ? 0 : lane_of(*pid);
}

long long ms(Clock::duration duration) {
  return std::chrono::duration_cast<milliseconds>(duration).count();
}

Clock::rep stamp(Clock::time_point t) {
  return t.time_since_epoch().count();
}

Clock::time_point at(Clock::rep rep) {
  return Clock::time_point(Clock::duration(rep));
}

// A gather write still in flight after this long is blocked on the peer.
constexpr milliseconds kBlockedWrite{5};

// Ticks every liveness_probe while probing (Erlang's ticktime / intensity
// when not, or when that is shorter); a peer silent for 1.2 probe periods
// (it missed a tick) is probed. Between beamlink peers (peer_watch.h) a
// direction ticks fast only when the peer watches us (`fast`), and the peer
// is probed only when we watch it (`close`).
TickPlan tick_plan(const ConnectionConfig& config, bool fast, bool close) {
  const unsigned intensity = std::max(config.tick_intensity, 1u);
  const milliseconds tick_interval =
      std::max(milliseconds(1), config.ticktime / static_cast<int>(intensity));
  const bool probing = config.liveness_probe.count() > 0;
  TickPlan plan;
  plan.tick_period =
      probing && fast ? std::min(config.liveness_probe, tick_interval) : tick_interval;
  plan.probe_after = probing && close ? config.liveness_probe + config.liveness_probe / 5
                                      : Clock::duration::zero();
  return plan;
}

// How long a node suspected by another node has to answer our ping: 0.4
// liveness_probe on one watcher's word, a quarter of that once a second
// watcher reports it too (the watchers share the tick grid, so their
// verdicts arrive together; this keeps a stopped node's drop by all within
// 2 s of its last tick).
// With no verdict yet (a watcher only doubts the node), the ping waits up
// to liveness_timeout for a verdict and drops no one.
Clock::duration verify_window(const ConnectionConfig& config, uint32_t reports) {
  if (reports == 0) return config.liveness_timeout;
  return reports >= 2 ? config.liveness_probe / 10 : config.liveness_probe * 2 / 5;
}

FailureDetectorOptions detector_options(const ConnectionConfig& config) {
  FailureDetectorOptions options;
  options.min_timeout = config.liveness_timeout;
  options.max_timeout = std::max(config.liveness_timeout, config.ticktime);
  return options;
}

}  // namespace

ConnectionImpl::ConnectionImpl(std::unique_ptr<Transport> transport, PeerInfo peer,
                               bool initiated_by_us, ConnectionConfig config, DistSink& sink,
                               DownHook on_down)
    : keep_alive_(config.keep_alive),
      transport_(std::move(transport)),
      strand_(transport_->executor()),
      peer_(std::move(peer)),
      initiated_by_us_(initiated_by_us),
      config_(std::move(config)),
      sink_(sink),
      on_down_(std::move(on_down)),
      format_{(peer_.flags & DFLAG_FRAGMENTS) != 0, std::max<size_t>(config_.fragment_size, 1)},
      dist_reader_(ReassemblyLimits{.max_message_size = config_.max_message_size},
                   config_.receive_budget,
                   [this](const std::string& reason) { discarded(reason); }),
      wake_timer_(strand_),
      detector_(detector_options(config_), Clock::now()) {}

ConnectionImpl::~ConnectionImpl() = default;

void ConnectionImpl::log(LogLevel level, const std::string& message) const {
  if (!config_.logger) return;
  try {
    config_.logger(level, message);
  } catch (...) {  // a logger that throws is counted, never fatal
    if (config_.failures) config_.failures->fetch_add(1, std::memory_order_relaxed);
  }
}

void ConnectionImpl::count_failure(const std::string& what) const {
  if (config_.failures) config_.failures->fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::error, what);
}

void ConnectionImpl::start(std::vector<uint8_t> leftover) {
  auto self = shared_from_this();
  asio::post(strand_, [self, leftover = std::move(leftover)]() mutable {
    const auto now = Clock::now();
    self->last_byte_at_.store(stamp(now), std::memory_order_relaxed);
    self->last_written_.store(stamp(now), std::memory_order_relaxed);
    if (self->closed()) {  // closed before it started: never reported
      self->down_reported_ = true;
      self->transport_->close();
      if (self->on_down_) self->on_down_(self);
      return;
    }
    self->up_reported_ = true;
    try {
      self->sink_.connection_up(self);
    } catch (const std::exception& e) {
      self->count_failure("connection_up handler threw: " + std::string(e.what()));
      self->shut_down(std::string("connection_up handler threw: ") + e.what());
      return;
    } catch (...) {
      self->count_failure("connection_up handler threw");
      self->shut_down("connection_up handler threw");
      return;
    }
    // Each coroutine holds the connection; a thrown exception becomes a reason.
    auto on_exit = [self](std::exception_ptr error) {
      if (!error) return;
      std::string reason = "internal error";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        reason += std::string(": ") + e.what();
      } catch (...) {
      }
      self->count_failure("connection with " + self->peer_.name + ": " + reason);
      self->shut_down(reason);
    };
    asio::co_spawn(self->strand_, self->reader(std::move(leftover)), on_exit);
    asio::co_spawn(self->strand_, self->writer(), on_exit);
    if (self->config_.scheduler) {
      self->tick_id_.store(self->config_.scheduler->add(std::weak_ptr<Ticked>(self),
                                                        now + self->config_.check_period),
                           std::memory_order_relaxed);
    }
    // Tell the peer we take part in watching (erl drops it unread).
    if (self->takes_part()) {
      self->send_liveness(LivenessMessage{});
    }
  });
}

void ConnectionImpl::after_start(std::function<void()> fn) {
  asio::post(strand_, std::move(fn));
}

std::string_view to_string(SendStatus status) {
  switch (status) {
    case SendStatus::ok:
      return "ok";
    case SendStatus::busy:
      return "busy";
    case SendStatus::timeout:
      return "timeout";
    case SendStatus::overflow:
      return "overflow";
    case SendStatus::closed:
      return "closed";
    case SendStatus::invalid:
      return "invalid";
  }
  return "unknown";
}

bool ConnectionImpl::send(const Term& control, const Term* payload) {
  return submit(control, payload, SendMode::wait) == SendStatus::ok;
}

SendStatus ConnectionImpl::submit(const Term& control, const Term* payload, SendMode mode) {
  if ((peer_.flags & DFLAG_SEND_SENDER) == 0) {
    // A peer without SEND_SENDER (erl_interface/ei, e.g. erl_call) gets the
    // older {SEND, '', To}: ei's receiver rejects SEND_SENDER as unknown.
    const auto* t = control.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 3 && t->elements[0] == Term(SEND_SENDER)) {
      // The lane stays the sender's, so its order with the sender's other
      // signals holds.
      const Term older = Term::tuple({Term(SEND), Term::atom(""), t->elements[2]});
      return submit_frames(older, payload, lane_of(control), mode);
    }
  }
  return submit_frames(control, payload, lane_of(control), mode);
}

SendStatus ConnectionImpl::submit_send(const Pid& from, const Pid& to, bool has_sender,
                                       const Term& message, SendMode mode) {
  thread_local ControlPrefix prefix;
  // See submit(): no SEND_SENDER for a peer without it.
  const bool sender = has_sender && (peer_.flags & DFLAG_SEND_SENDER) != 0;
  const auto control = prefix.send(sender ? &from : nullptr, to);
  if (control.empty()) return Connection::submit_send(from, to, has_sender, message, mode);
  return submit_frames(control, &message, has_sender ? lane_of(from) : 0, mode);
}

SendStatus ConnectionImpl::submit_reg_send(const Pid& from, const Atom& name, const Term& message,
                                           SendMode mode) {
  thread_local ControlPrefix prefix;
  const auto control = prefix.reg_send(from, name);
  if (control.empty()) return Connection::submit_reg_send(from, name, message, mode);
  return submit_frames(control, &message, lane_of(from), mode);
}

// Encodes into a thread-local scratch buffer (its capacity stays: no
// allocation per message) and queues the frames.
template <class Control>
SendStatus ConnectionImpl::submit_frames(const Control& control, const Term* payload, uint64_t lane,
                                         SendMode mode) {
  if (closed()) return SendStatus::closed;
  thread_local std::vector<uint8_t> scratch;
  scratch.clear();
  auto encoded = append_message(scratch, control, payload, format_,
                                next_sequence_.fetch_add(1, std::memory_order_relaxed));
  if (!encoded) {
    log(LogLevel::error, "message to " + peer_.name + " dropped: " + encoded.error().to_string());
    return SendStatus::invalid;
  }
  const auto status = enqueue(scratch, scratch.size() >= kMoveThreshold, lane, mode);
  if (status == SendStatus::ok) stats_.messages_sent.fetch_add(1, std::memory_order_relaxed);
  return status;
}

bool ConnectionImpl::on_io_thread() const {
  return config_.io != nullptr && config_.io->get_executor().running_in_this_thread();
}

size_t ConnectionImpl::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_bytes_;
}

PeerMetrics ConnectionImpl::metrics() const {
  const auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  PeerMetrics out;
  out.peer = peer_.name;
  out.hidden = peer_.hidden;
  out.messages_sent = get(stats_.messages_sent);
  out.messages_received = get(stats_.messages_received);
  out.bytes_sent = get(stats_.bytes_written);
  out.bytes_received = get(stats_.bytes_received);
  out.send_queue_bytes = queued_bytes();
  out.dropped_busy_timeout = get(stats_.busy_timeouts);
  out.dropped_overflow = get(stats_.overflow_drops);
  out.dropped_over_limit = get(stats_.messages_discarded);
  out.busy_refusals = get(stats_.busy_refusals);
  return out;
}

bool ConnectionImpl::busy() const {
  return queued_bytes() > config_.dist_buf_busy_limit;
}

bool ConnectionImpl::has_output() const {
  return !front_.empty() || !priority_.empty() || !ready_.empty();
}

void ConnectionImpl::mark_written(size_t bytes) {
  stats_.bytes_written.fetch_add(bytes, std::memory_order_relaxed);
  last_written_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void ConnectionImpl::wake_writer_locked(bool& wake) {
  if (writer_idle_ && !wake_posted_ && !socket_busy_) wake = wake_posted_ = true;
}

void ConnectionImpl::post_wake() {
  asio::post(strand_, [self = shared_from_this()] { self->wake_timer_.cancel(); });
}

SendStatus ConnectionImpl::enqueue(std::vector<uint8_t>& frames, bool whole, uint64_t lane_key,
                                   SendMode mode) {
  const size_t limit = config_.dist_buf_busy_limit;
  const size_t hard_cap = limit * kHardCapFactor;
  const bool io_thread = mode != SendMode::nosuspend && on_io_thread();
  bool wake = false;
  bool claimed = false;
  std::unique_lock lock(mutex_);
  if (queue_closed_) return SendStatus::closed;
  if (queued_bytes_ > limit) {
    if (mode == SendMode::nosuspend) {
      stats_.busy_refusals.fetch_add(1, std::memory_order_relaxed);
      return SendStatus::busy;
    }
    if (io_thread) {
      if (queued_bytes_ > hard_cap) {
        stats_.overflow_drops.fetch_add(1, std::memory_order_relaxed);
        const bool first = !std::exchange(overflow_logged_, true);
        lock.unlock();
        if (first) {
          log(LogLevel::warning, "messages to " + peer_.name + " dropped: over " +
                                     std::to_string(hard_cap) +
                                     " bytes queued (sent on a distribution thread, which "
                                     "cannot wait; counted in overflow_drops)");
        }
        return SendStatus::overflow;
      }
    } else if (mode == SendMode::wait || queued_bytes_ > hard_cap) {
      const size_t until = mode == SendMode::wait ? limit : hard_cap;
      stats_.busy_waits.fetch_add(1, std::memory_order_relaxed);
      ++waiters_;
      const bool drained = drained_.wait_for(
          lock, config_.busy_send_timeout, [&] { return queue_closed_ || queued_bytes_ <= until; });
      --waiters_;
      if (queue_closed_) return SendStatus::closed;
      if (!drained) {
        stats_.busy_timeouts.fetch_add(1, std::memory_order_relaxed);
        return SendStatus::timeout;
      }
    }
  }
  const std::span<const uint8_t> bytes(frames);
  const size_t size = bytes.size();
  if (!whole && !socket_busy_ && writer_idle_ && !has_output() &&
      inline_armed_.load(std::memory_order_relaxed)) {
    inline_armed_.store(false, std::memory_order_relaxed);
    socket_busy_ = inline_writing_ = claimed = true;
  }
  if (claimed) {
    lock.unlock();
    // An error leaves the bytes queued: the writer meets it and reports it.
    const size_t written = transport_->try_write(bytes).value_or(0);
    if (written > 0) {
      stats_.writes.fetch_add(1, std::memory_order_relaxed);
      mark_written(written);
    }
    if (written == bytes.size()) stats_.inline_writes.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    socket_busy_ = inline_writing_ = false;
    if (queue_closed_) {
      lock.unlock();
      drained_.notify_all();  // shut_down waits for inline_writing_ to clear
      return written == bytes.size() ? SendStatus::ok : SendStatus::closed;
    }
    if (written < bytes.size()) {
      // The rest of a frame already partly on the wire goes before anything.
      front_ = take_spare();
      front_.assign(bytes.begin() + static_cast<ptrdiff_t>(written), bytes.end());
      queued_bytes_ += front_.size();
    }
    if (has_output()) wake_writer_locked(wake);
  } else {
    Lane& lane = lanes_[lane_key];
    if (whole) {
      lane.items.push_back(Item{std::move(frames), 0, true});
      frames = {};
    } else {
      if (lane.items.empty() || lane.items.back().sealed ||
          lane.items.back().bytes.size() >= kMoveThreshold) {
        lane.items.emplace_back();
        lane.items.back().bytes = take_spare();
        lane.items.back().bytes.reserve(std::min<size_t>(kMoveThreshold, 4 * bytes.size()));
      }
      auto& back = lane.items.back().bytes;
      back.insert(back.end(), bytes.begin(), bytes.end());
    }
    queued_bytes_ += size;
    if (!lane.ready) {
      lane.ready = true;
      ready_.push_back(lane_key);
    }
    wake_writer_locked(wake);
  }
  lock.unlock();
  if (wake) post_wake();
  return SendStatus::ok;
}

bool ConnectionImpl::enqueue_priority(std::span<const uint8_t> frames) {
  bool wake = false;
  std::unique_lock lock(mutex_);
  if (queue_closed_) return false;
  if (!socket_busy_ && writer_idle_ && !has_output()) {
    // Nothing queued and nobody writing (an idle connection's tick): one
    // non-blocking send from here, without waking the writer.
    socket_busy_ = inline_writing_ = true;
    lock.unlock();
    const size_t written = transport_->try_write(frames).value_or(0);
    if (written > 0) {
      stats_.writes.fetch_add(1, std::memory_order_relaxed);
      mark_written(written);
    }
    lock.lock();
    socket_busy_ = inline_writing_ = false;
    if (queue_closed_) {
      lock.unlock();
      drained_.notify_all();  // shut_down waits for inline_writing_ to clear
      return true;
    }
    // The rest of a frame partly on the wire goes before anything queued meanwhile.
    priority_.insert(priority_.begin(), frames.begin() + static_cast<ptrdiff_t>(written),
                     frames.end());
  } else if (priority_.size() < kMaxPriorityBytes) {
    // Ticks and probes are periodic; while the socket takes nothing at all,
    // a few are enough (the send timeout ends such a connection).
    priority_.insert(priority_.end(), frames.begin(), frames.end());
  }
  if (has_output()) wake_writer_locked(wake);
  lock.unlock();
  if (wake) post_wake();
  return true;
}

std::vector<uint8_t> ConnectionImpl::take_spare() {
  if (spare_.empty()) return {};
  std::vector<uint8_t> out = std::move(spare_.back());
  spare_.pop_back();
  return out;
}

void ConnectionImpl::keep_spares(Batch& batch) {
  for (auto& buffer : batch.hold) {
    if (spare_.size() >= kMaxSpareBuffers) break;
    if (buffer.capacity() == 0 || buffer.capacity() > kMaxSpareCapacity) continue;
    buffer.clear();
    spare_.push_back(std::move(buffer));
  }
}

void ConnectionImpl::take_batch(Batch& batch) {
  auto add = [&](std::span<const uint8_t> bytes) {
    batch.buffers.emplace_back(bytes.data(), bytes.size());
  };
  if (!front_.empty()) {
    batch.bytes += front_.size();
    batch.hold.push_back(std::move(front_));
    front_ = {};
    add(batch.hold.back());
  }
  if (!priority_.empty()) {
    batch.priority_bytes = priority_.size();
    batch.hold.push_back(std::move(priority_));
    priority_ = {};
    add(batch.hold.back());
  }
  const size_t quantum = std::max<size_t>(config_.fragment_size, kMinQuantum);
  while (!ready_.empty() && batch.bytes < kBatchBytes) {
    const uint64_t key = ready_.front();
    ready_.pop_front();
    Lane& lane = lanes_[key];
    size_t turn = 0;
    while (!lane.items.empty() && turn < quantum) {
      Item& item = lane.items.front();
      if (!item.sealed) {  // small messages: all of them, moved out
        turn += item.bytes.size();
        batch.hold.push_back(std::move(item.bytes));
        add(batch.hold.back());
        lane.items.pop_front();
        continue;
      }
      // A large message: whole frames from `taken` on, up to the quantum.
      const size_t begin = item.taken;
      size_t end = begin;
      while (end < item.bytes.size() && (end == begin || end - begin < quantum - turn)) {
        end += 4 + load_be(item.bytes.data() + end, 4);
      }
      item.taken = end;
      turn += end - begin;
      add(std::span<const uint8_t>(item.bytes).subspan(begin, end - begin));
      if (item.taken == item.bytes.size()) {
        batch.hold.push_back(std::move(item.bytes));  // the buffer (and `add`'s view) stays
        lane.items.pop_front();
      }
    }
    batch.bytes += turn;
    if (lane.items.empty()) {
      lane.ready = false;
    } else {
      ready_.push_back(key);
    }
  }
  // Lanes of senders long gone: dropped once there are many.
  if (lanes_.size() > kMaxIdleLanes)
    std::erase_if(lanes_, [](const auto& l) { return !l.second.ready; });
}

asio::awaitable<void> ConnectionImpl::writer() {
  Batch batch;
  for (;;) {
    bool idle = false;
    {
      std::lock_guard lock(mutex_);
      if (queue_closed_) co_return;
      wake_posted_ = false;
      if (socket_busy_ || !has_output()) {
        // Nothing to do, or an inline sender has the socket (it wakes us).
        writer_idle_ = idle = true;
      } else {
        writer_idle_ = false;
        socket_busy_ = true;
        take_batch(batch);
      }
    }
    if (idle) {
      wake_timer_.expires_at(Clock::time_point::max());
      co_await wake_timer_.async_wait(kNoThrow);
      continue;
    }
    // Written outside the lock; senders keep queueing meanwhile.
    std::span<asio::const_buffer> rest(batch.buffers);
    write_waiting_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    while (!rest.empty()) {
      const auto started = Clock::now();
      write_started_at_.store(stamp(started), std::memory_order_relaxed);
      auto written = co_await transport_->write_some(rest);
      write_started_at_.store(0, std::memory_order_relaxed);
      if (!written) {
        write_waiting_since_.store(0, std::memory_order_relaxed);
        shut_down(written.error().message);
        co_return;
      }
      const auto now = Clock::now();
      if (now - started >= kBlockedWrite) {
        unblocked_at_.store(stamp(now), std::memory_order_relaxed);  // the peer read: alive
      }
      // Progress: the send timeout counts from here again.
      write_waiting_since_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      mark_written(*written);
      size_t n = *written;
      while (n > 0 && !rest.empty()) {
        if (n >= rest.front().size()) {
          n -= rest.front().size();
          rest = rest.subspan(1);
        } else {
          rest.front() += n;
          n = 0;
        }
      }
    }
    write_waiting_since_.store(0, std::memory_order_relaxed);
    stats_.writes.fetch_add(1, std::memory_order_relaxed);
    bool notify = false;
    {
      std::lock_guard lock(mutex_);
      socket_busy_ = false;
      keep_spares(batch);
      const bool was_busy = queued_bytes_ > config_.dist_buf_busy_limit;
      queued_bytes_ -= batch.bytes;
      notify = waiters_ > 0 && (was_busy || queued_bytes_ <= config_.dist_buf_busy_limit);
    }
    if (notify) drained_.notify_all();
    // What keep_spares left is freed outside the lock.
    batch.buffers.clear();
    batch.hold.clear();
    batch.bytes = batch.priority_bytes = 0;
  }
}

void ConnectionImpl::check_send_timeout(Clock::time_point now) {
  if (config_.send_timeout.count() <= 0 || closed()) return;
  const auto since = write_waiting_since_.load(std::memory_order_relaxed);
  if (since == 0) return;
  const auto stalled = now - Clock::time_point(Clock::duration(since));
  if (stalled < config_.send_timeout) return;
  close("send timeout: " + peer_.name + " took none of our output for " +
        std::to_string(ms(stalled)) + " ms (send_timeout " +
        std::to_string(config_.send_timeout.count()) + " ms; " + std::to_string(queued_bytes()) +
        " bytes queued)");
}

asio::awaitable<void> ConnectionImpl::reader(std::vector<uint8_t> leftover) {
  FrameStream stream(dist_reader_, config_.receive_budget, leftover);
  leftover = {};
  DistMessage message;
  // Completes the wake-ups deliver held back, also when a frame ends the loop.
  struct FlushAtEnd {
    DistSink& sink;
    ~FlushAtEnd() { sink.flush(); }
  };
  for (;;) {
    const uint64_t frames_before = stream.frames();
    uint64_t delivered = 0;
    {
      const FlushAtEnd flush_at_end{sink_};
      for (;;) {
        auto got = stream.next(message);
        if (!got) {
          shut_down("malformed frame from " + peer_.name + ": " + got.error().message);
          co_return;
        }
        if (!*got) break;
        delivered += handle(message) ? 1 : 0;
        if (closed()) co_return;
      }
    }
    stats_.frames_received.fetch_add(stream.frames() - frames_before, std::memory_order_relaxed);
    stats_.messages_received.fetch_add(delivered, std::memory_order_relaxed);
    stats_.read_buffer_bytes.store(stream.capacity(), std::memory_order_relaxed);
    stats_.read_buffer_peak.store(stream.peak_capacity(), std::memory_order_relaxed);
    const auto room = stream.room();
    reader_back_at_.store(stamp(Clock::now()), std::memory_order_relaxed);
    auto count = co_await transport_->read_some(room);
    const auto read_at = stamp(Clock::now());
    reader_back_at_.store(0, std::memory_order_relaxed);      // away until the next read
    last_byte_at_.store(read_at, std::memory_order_relaxed);  // any bytes prove life
    if (!count) {
      shut_down(count.error().code == Errc::closed && !closed()
                    ? "connection closed by " + peer_.name
                    : count.error().message);
      co_return;
    }
    stream.commit(*count);
    stats_.bytes_received.fetch_add(*count, std::memory_order_relaxed);
    // Before the frames are handled, so a reply sent while they are may go inline.
    inline_armed_.store(true, std::memory_order_relaxed);
  }
}

bool ConnectionImpl::handle(DistMessage& message) {
  if (message.typed) {
    if (is_probe_reply(message.header)) return false;
    if (message.header.op == REG_SEND && message.header.to_name == kLivenessName) {
      message.control = message.header.to_term();  // rare: a few per connection
      on_liveness(message);
      return false;
    }
    sink_.deliver_header(shared_from_this(), message.header, std::move(message.payload));
    return true;
  }
  if (is_probe_reply(message.control)) return false;
  if (is_liveness_message(message.control)) {
    on_liveness(message);
    return false;
  }
  sink_.deliver(shared_from_this(), std::move(message.control), std::move(message.payload));
  return true;
}

void ConnectionImpl::discarded(const std::string& reason) {
  stats_.messages_discarded.fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::warning, "discarded a message from " + peer_.name + ": " + reason);
}

bool ConnectionImpl::is_probe_reply(const ControlHeader& header) const {
  if (header.op != SEND && header.op != SEND_TT && header.op != SEND_SENDER &&
      header.op != SEND_SENDER_TT) {
    return false;
  }
  return header.to.id == kProbePidId && header.to.serial == 0 &&
         header.to.node == config_.local_node;
}

bool ConnectionImpl::is_probe_reply(const Term& control) const {
  const auto op = control_op(control);
  if (!op || (*op != SEND && *op != SEND_TT && *op != SEND_SENDER && *op != SEND_SENDER_TT)) {
    return false;
  }
  const Term* to = control.element(2);
  const Pid* pid = to == nullptr ? nullptr : to->get_if<Pid>();
  return pid != nullptr && pid->id == kProbePidId && pid->serial == 0 &&
         pid->node.name == config_.local_node;
}

void ConnectionImpl::send_probe() {
  if (beamlink_peer()) {  // its connection answers at once, with a tick
    LivenessMessage ping;
    ping.kind = LivenessMessage::Kind::ping;
    send_liveness(ping);
    stats_.probes_sent.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Term probe_pid(Pid{Atom(config_.local_node), kProbePidId, 0, config_.local_creation});
  const Term ref(Reference{
      Atom(config_.local_node), config_.local_creation, {++probe_counter_, 0x70726f62, 0}});
  const Term control = Term::tuple({REG_SEND, probe_pid, Term::atom(""), Term::atom("net_kernel")});
  const Term payload =
      Term::tuple({Term::atom("$gen_call"), Term::tuple({probe_pid, ref}),
                   Term::tuple({Term::atom("is_auth"), Term::atom(config_.local_node)})});
  // On the priority lane: a probe never waits behind queued data.
  thread_local std::vector<uint8_t> bytes;
  bytes.clear();
  if (!append_message(bytes, control, &payload, format_,
                      next_sequence_.fetch_add(1, std::memory_order_relaxed))) {
    return;
  }
  if (enqueue_priority(bytes)) stats_.probes_sent.fetch_add(1, std::memory_order_relaxed);
}

Clock::time_point ConnectionImpl::check(Clock::time_point now, Clock::duration stall) {
  if (closed()) return Clock::time_point::max();
  stats_.checks.fetch_add(1, std::memory_order_relaxed);
  // Between beamlink peers only the watchers watch closely (peer_watch.h).
  const bool beamlink = beamlink_peer_.load(std::memory_order_relaxed);
  const bool close_watch = !beamlink || (watch_state_.load(std::memory_order_relaxed) & 1) != 0;
  const bool fast = !beamlink || peer_watches_us_.load(std::memory_order_relaxed);
  const bool probing = config_.liveness_probe.count() > 0 && close_watch;
  const TickPlan plan = tick_plan(config_, fast, close_watch);
  if (close_watch && !watched_closely_) {
    // Watched closely from now on: the slow-paced past says nothing.
    detector_ = FailureDetector(detector_options(config_), now);
    last_probe_ = {};
  }
  watched_closely_ = close_watch;

  // What we heard, and when we could not have.
  const Clock::rep last_byte = last_byte_at_.load(std::memory_order_relaxed);
  detector_.heard(at(last_byte));
  const Clock::rep back = reader_back_at_.load(std::memory_order_relaxed);
  detector_.excuse(back == 0 ? now : at(back));  // away: we are not listening
  const Clock::rep writing = write_started_at_.load(std::memory_order_relaxed);
  const bool write_blocked = writing != 0 && now - at(writing) >= kBlockedWrite;
  if (write_blocked) {
    detector_.excuse(now);  // the peer is not reading what we send (its answers wait)
  } else {
    detector_.excuse(at(unblocked_at_.load(std::memory_order_relaxed)));
  }
  detector_.discount(stall);
  check_send_timeout(now);
  if (closed()) return Clock::time_point::max();

  const auto silence = detector_.silence(now);
  if (probing && detector_.suspect(now) && !verdict_pending_.exchange(true)) {
    const std::string reason = "no answer from " + peer_.name + " for " +
                               std::to_string(ms(silence)) + " ms (liveness timeout " +
                               std::to_string(ms(detector_.timeout())) + " ms, " +
                               std::to_string(config_.liveness_timeout.count()) + " ms configured)";
    asio::post(strand_, [self = shared_from_this(), last_byte, reason, silence] {
      self->confirm_dead(last_byte, reason, silence);
    });
  }
  // A suspicion from another node: nothing from the peer since our ping,
  // for the whole window, while we were listening (and not stalled).
  std::optional<Clock::time_point> verify_due;
  if (const Clock::rep asked = verify_since_.load(std::memory_order_relaxed); asked != 0) {
    const uint32_t reports = verify_reports_.load(std::memory_order_relaxed);
    const auto window = verify_window(config_, reports);
    const auto due = at(asked) + window;
    if (last_byte > asked) {
      verify_since_.store(0, std::memory_order_relaxed);  // answered
      stats_.verifications_answered.fetch_add(1, std::memory_order_relaxed);
    } else if (back == 0 || write_blocked || stall >= window) {
      // We could not have heard it: the window starts again.
      verify_since_.store(stamp(now), std::memory_order_relaxed);
      verify_due = now + window;
    } else if (now < due) {
      verify_due = due;
    } else if (reports == 0) {
      verify_since_.store(0, std::memory_order_relaxed);  // a doubt no verdict followed
    } else if (!verdict_pending_.exchange(true)) {
      verify_since_.store(0, std::memory_order_relaxed);
      const std::string reason = peer_.name + " suspected by another node and silent since: no " +
                                 "answer to our ping in " + std::to_string(ms(now - at(asked))) +
                                 " ms (" + std::to_string(reports) + " reports)";
      asio::post(strand_, [self = shared_from_this(), last_byte, reason] {
        self->confirm_dead(last_byte, reason, std::nullopt);
      });
    }
  }
  // Erlang's rule, whatever we were doing: nothing at all for net_ticktime.
  const auto quiet = now - std::max(at(last_byte), back == 0 ? now : at(back));
  if (quiet >= config_.ticktime) {
    close("net_tick_timeout: nothing from " + peer_.name + " for " + std::to_string(ms(quiet)) +
          " ms");
    return Clock::time_point::max();
  }
  if (probing && silence >= plan.probe_after && now - last_probe_ >= plan.probe_after) {
    last_probe_ = now;
    send_probe();
    // A peer we watch for the others missed a tick: they ping it now, so a
    // verdict finds their pings already waiting (peer_watch.h).
    if (!doubt_told_ && beamlink && close_watch && config_.peer_watch) {
      doubt_told_ = true;
      config_.peer_watch->doubted(*this, ms(silence));
    }
  }
  if (silence < plan.probe_after) doubt_told_ = false;
  inline_armed_.store(true, std::memory_order_relaxed);
  Clock::time_point written{Clock::duration(last_written_.load(std::memory_order_relaxed))};
  if (plan.tick_now(now, written)) {
    send_tick();
    written = now;
  }
  auto next = plan.next_check(now, written, silence, detector_.timeout(), last_probe_, quiet,
                              config_.ticktime);
  if (verify_due) next = std::min(next, *verify_due);
  // The send timeout: due send_timeout after a write began to wait (or, if
  // none waits, no later than send_timeout from now; this matters only when
  // ticks are further apart than that, with probing off).
  if (config_.send_timeout.count() > 0) {
    const auto since = write_waiting_since_.load(std::memory_order_relaxed);
    next = std::min(next, (since != 0 ? Clock::time_point(Clock::duration(since)) : now) +
                              config_.send_timeout);
  }
  return next;
}

void ConnectionImpl::confirm_dead(Clock::rep heard, const std::string& reason,
                                  std::optional<Clock::duration> silence) {
  verdict_pending_.store(false);
  if (closed()) return;
  // Bytes read since the verdict, or a reader busy with what it read, save the peer.
  if (last_byte_at_.load(std::memory_order_relaxed) != heard ||
      reader_back_at_.load(std::memory_order_relaxed) == 0) {
    stats_.suspicions_withdrawn.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Our own detector's verdict on a peer we watch for the others: tell them.
  if (silence && config_.peer_watch && beamlink_peer()) {
    config_.peer_watch->dropped(*this, (watch_state_.load(std::memory_order_relaxed) & 1) != 0,
                                ms(*silence));
  }
  shut_down(reason);
}

bool ConnectionImpl::takes_part() const {
  // Hidden connections (a CLI's short-lived node, erl_call) stay out of the ring.
  return config_.peer_watch && config_.liveness_probe.count() > 0 && !peer_.hidden;
}

void ConnectionImpl::wake_check(Clock::time_point at) {
  if (config_.scheduler) config_.scheduler->wake(tick_id_.load(std::memory_order_relaxed), at);
}

void ConnectionImpl::on_liveness(const DistMessage& message) {
  const auto decoded =
      decode_liveness(message.control, message.payload ? &*message.payload : nullptr);
  if (!decoded) return;  // a later version's message: ignored
  switch (decoded->kind) {
    case LivenessMessage::Kind::ping:
      stats_.pings_answered.fetch_add(1, std::memory_order_relaxed);
      send_tick();  // any bytes answer it; a tick is the fewest
      return;
    case LivenessMessage::Kind::hello:
      if (takes_part() && !beamlink_peer_.exchange(true)) {
        config_.peer_watch->joined(shared_from_this());
        wake_check(Clock::now());
      }
      return;
    case LivenessMessage::Kind::watch:
    case LivenessMessage::Kind::unwatch: {
      const bool on = decoded->kind == LivenessMessage::Kind::watch;
      if (peer_watches_us_.exchange(on) != on) wake_check(Clock::now());
      return;
    }
    case LivenessMessage::Kind::doubt:
    case LivenessMessage::Kind::suspect:
      if (config_.peer_watch && beamlink_peer()) config_.peer_watch->suspected(*this, *decoded);
      return;
  }
}

void ConnectionImpl::set_watching(bool on, uint64_t generation) {
  uint64_t current = watch_state_.load(std::memory_order_relaxed);
  const uint64_t wanted = generation << 1 | (on ? 1 : 0);
  do {
    if ((current >> 1) >= generation) return;  // a newer assignment was applied
  } while (!watch_state_.compare_exchange_weak(current, wanted, std::memory_order_relaxed));
  if (((current & 1) != 0) == on) return;
  asio::post(strand_, [self = shared_from_this()] { self->sync_watch(); });
  wake_check(Clock::now());
}

void ConnectionImpl::sync_watch() {
  const bool on = (watch_state_.load(std::memory_order_relaxed) & 1) != 0;
  if (on == watch_sent_ || closed()) return;
  watch_sent_ = on;
  LivenessMessage message;
  message.kind = on ? LivenessMessage::Kind::watch : LivenessMessage::Kind::unwatch;
  send_liveness(message);
}

void ConnectionImpl::send_liveness(const LivenessMessage& message) {
  const auto encoded = encode_liveness(message, config_.local_node, config_.local_creation);
  // On the priority lane, like probes.
  thread_local std::vector<uint8_t> bytes;
  bytes.clear();
  if (!append_message(bytes, encoded.control, &encoded.payload, format_,
                      next_sequence_.fetch_add(1, std::memory_order_relaxed))) {
    return;
  }
  enqueue_priority(bytes);
}

void ConnectionImpl::verify(const std::string& reason, bool verdict) {
  if (closed()) return;
  const auto now = Clock::now();
  Clock::rep since = 0;
  if (verify_since_.compare_exchange_strong(since, stamp(now), std::memory_order_relaxed)) {
    const uint32_t reports = verdict ? 1 : 0;
    verify_reports_.store(reports, std::memory_order_relaxed);
    stats_.verifications.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::info, reason + "; pinging it");
    LivenessMessage ping;
    ping.kind = LivenessMessage::Kind::ping;
    send_liveness(ping);
    wake_check(now + verify_window(config_, reports));
    return;
  }
  if (!verdict) return;  // pinging it already
  // A verdict on the silence our ping is already timing (after a doubt, or
  // another watcher's verdict): the window counts from that ping.
  const uint32_t reports = verify_reports_.fetch_add(1, std::memory_order_relaxed) + 1;
  wake_check(at(since) + verify_window(config_, reports));
}

void ConnectionImpl::send_tick() {
  // The writer moves it again when the tick is out.
  last_written_.store(stamp(Clock::now()), std::memory_order_relaxed);
  // On the priority lane: a tick never waits behind queued data.
  if (enqueue_priority(kTickFrame)) stats_.ticks_sent.fetch_add(1, std::memory_order_relaxed);
}

void ConnectionImpl::close(std::string reason) {
  if (closing_.exchange(true, std::memory_order_acq_rel)) return;  // already closing
  asio::post(strand_,
             [self = shared_from_this(), reason = std::move(reason)] { self->shut_down(reason); });
}

void ConnectionImpl::shut_down(const std::string& reason) {
  closing_.store(true, std::memory_order_release);
  if (down_reported_) return;
  down_reported_ = true;
  {
    std::unique_lock lock(mutex_);
    queue_closed_ = true;
    // An inline sender may be in send(2) on the socket: let it finish (a
    // non-blocking call) before the descriptor goes.
    drained_.wait(lock, [&] { return !inline_writing_; });
  }
  drained_.notify_all();  // waiting senders: closed
  transport_->close();
  wake_timer_.cancel();
  auto self = shared_from_this();
  if (config_.peer_watch) config_.peer_watch->left(*this);
  if (up_reported_) log(LogLevel::info, "connection with " + peer_.name + " down: " + reason);
  if (up_reported_) {
    try {
      sink_.connection_down(self, reason);
    } catch (const std::exception& e) {  // the peer table must still hear of it
      count_failure("connection_down handler threw: " + std::string(e.what()));
    } catch (...) {
      count_failure("connection_down handler threw");
    }
  }
  if (on_down_) on_down_(self);
}

}  // namespace beamlink::dist
