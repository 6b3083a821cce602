// A live distribution connection; see connection.h.
#include "dist/connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

#include "dist/control_message.h"
#include "dist/flags.h"
#include "dist/tick_plan.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

using Clock = ConnectionImpl::Clock;
using std::chrono::milliseconds;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// Bytes asked of each read: an idle or chatty-but-small connection reads
// kMinReadChunk at a time (little memory per peer in a big mesh); a read
// that fills its room doubles the chunk, up to kReadChunk, for bulk data.
constexpr size_t kMinReadChunk = 16u << 10;
constexpr size_t kReadChunk = 256u << 10;
constexpr size_t kMoveThreshold = 64u << 10;  // larger messages are queued whole, not copied
constexpr size_t kKeptCapacity = 4u << 20;    // a drained chunk keeps at most this much

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
// (it missed a tick) is probed.
TickPlan tick_plan(const ConnectionConfig& config) {
  const unsigned intensity = std::max(config.tick_intensity, 1u);
  const milliseconds tick_interval =
      std::max(milliseconds(1), config.ticktime / static_cast<int>(intensity));
  const bool probing = config.liveness_probe.count() > 0;
  TickPlan plan;
  plan.tick_period = probing ? std::min(config.liveness_probe, tick_interval) : tick_interval;
  plan.probe_after =
      probing ? config.liveness_probe + config.liveness_probe / 5 : Clock::duration::zero();
  return plan;
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
      dist_reader_(ReassemblyLimits{config_.max_frame_size, 64}),
      wake_timer_(strand_),
      detector_(detector_options(config_), Clock::now()) {
  queue_.emplace_back();
  queue_.back().reserve(64u << 10);
}

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
      self->config_.scheduler->add(std::weak_ptr<Ticked>(self), now + self->config_.check_period);
    }
  });
}

void ConnectionImpl::after_start(std::function<void()> fn) {
  asio::post(strand_, std::move(fn));
}

bool ConnectionImpl::send(const Term& control, const Term* payload) {
  if (closed()) return false;
  if ((peer_.flags & DFLAG_SEND_SENDER) == 0) {
    // A peer without SEND_SENDER (erl_interface/ei, e.g. erl_call) gets the
    // older {SEND, '', To}: ei's receiver rejects SEND_SENDER as unknown.
    const auto* t = control.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 3 && t->elements[0] == Term(SEND_SENDER)) {
      return send(Term::tuple({Term(SEND), Term::atom(""), t->elements[2]}), payload);
    }
  }
  thread_local std::vector<uint8_t> scratch;
  scratch.clear();
  auto encoded = append_message(scratch, control, payload, format_,
                                next_sequence_.fetch_add(1, std::memory_order_relaxed));
  if (!encoded) {
    log(LogLevel::error, "message to " + peer_.name + " dropped: " + encoded.error().to_string());
    return false;
  }
  const bool whole = scratch.size() >= kMoveThreshold;
  const bool queued = enqueue(scratch, whole ? &scratch : nullptr, !whole);
  if (queued) stats_.messages_sent.fetch_add(1, std::memory_order_relaxed);
  return queued;
}

bool ConnectionImpl::queue_empty() const {
  for (const auto& chunk : queue_) {
    if (!chunk.empty()) return false;
  }
  return true;
}

void ConnectionImpl::mark_written(size_t bytes) {
  stats_.writes.fetch_add(1, std::memory_order_relaxed);
  stats_.bytes_written.fetch_add(bytes, std::memory_order_relaxed);
  last_written_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

bool ConnectionImpl::enqueue(std::span<const uint8_t> frames, std::vector<uint8_t>* whole,
                             bool may_inline) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_closed_) return false;
    if (may_inline && writer_idle_ && inline_armed_.load(std::memory_order_relaxed) &&
        queue_empty()) {
      inline_armed_.store(false, std::memory_order_relaxed);
      // An error leaves the bytes queued: the writer meets it and reports it.
      const size_t written = transport_->try_write(frames).value_or(0);
      if (written > 0) mark_written(written);
      if (written == frames.size()) return true;
      frames = frames.subspan(written);
    }
    if (whole != nullptr) {
      queue_.push_back(std::move(*whole));
      queue_.emplace_back();  // later small messages go after it
    } else {
      if (queue_.empty() || queue_.back().size() >= kMoveThreshold) queue_.emplace_back();
      queue_.back().insert(queue_.back().end(), frames.begin(), frames.end());
    }
    if (writer_idle_ && !wake_posted_) wake = wake_posted_ = true;
  }
  if (wake) asio::post(strand_, [self = shared_from_this()] { self->wake_timer_.cancel(); });
  return true;
}

asio::awaitable<void> ConnectionImpl::writer() {
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    bool idle = false;
    {
      std::lock_guard lock(mutex_);
      if (queue_closed_) co_return;
      const bool empty = queue_empty();
      writer_idle_ = empty;
      wake_posted_ = false;
      if (empty) {
        idle = true;
      } else {
        std::swap(queue_, writing_);
        if (queue_.empty()) queue_.emplace_back();
      }
    }
    if (idle) {
      wake_timer_.expires_at(Clock::time_point::max());
      co_await wake_timer_.async_wait(kNoThrow);
      continue;
    }
    buffers.clear();
    size_t total = 0;
    for (const auto& chunk : writing_) {
      if (chunk.empty()) continue;
      buffers.emplace_back(chunk.data(), chunk.size());
      total += chunk.size();
    }
    const auto started = Clock::now();
    write_started_at_.store(stamp(started), std::memory_order_relaxed);
    auto written = co_await transport_->write(buffers);
    write_started_at_.store(0, std::memory_order_relaxed);
    if (!written) {
      shut_down(written.error().message);
      co_return;
    }
    mark_written(total);
    if (const auto now = Clock::now(); now - started >= kBlockedWrite) {
      unblocked_at_.store(stamp(now), std::memory_order_relaxed);  // the peer read: alive
    }
    // Keep one drained chunk's capacity for the next swap.
    writing_.resize(1);
    writing_.front().clear();
    if (writing_.front().capacity() > kKeptCapacity) writing_.front().shrink_to_fit();
  }
}

asio::awaitable<void> ConnectionImpl::reader(std::vector<uint8_t> leftover) {
  size_t chunk = kMinReadChunk;
  std::vector<uint8_t> buffer(std::max(chunk, leftover.size()));
  std::copy(leftover.begin(), leftover.end(), buffer.begin());
  size_t begin = 0;
  size_t end = leftover.size();
  DistMessage message;
  // Completes the wake-ups deliver held back, also when a frame ends the loop.
  struct FlushAtEnd {
    DistSink& sink;
    ~FlushAtEnd() { sink.flush(); }
  };
  for (;;) {
    uint64_t frames = 0;
    {
      const FlushAtEnd flush_at_end{sink_};
      while (end - begin >= 4) {
        const size_t length = load_be(buffer.data() + begin, 4);
        if (length > config_.max_frame_size) {
          shut_down("frame of " + std::to_string(length) + " bytes from " + peer_.name +
                    " is over max_frame_size (" + std::to_string(config_.max_frame_size) + ")");
          co_return;
        }
        if (end - begin - 4 < length) break;
        const std::span<const uint8_t> frame(buffer.data() + begin + 4, length);
        begin += 4 + length;
        ++frames;
        if (length == 0) continue;  // a tick
        auto complete = dist_reader_.read(frame, message);
        if (!complete) {
          shut_down("malformed frame from " + peer_.name + ": " + complete.error().message);
          co_return;
        }
        if (*complete) handle(message);
        if (closed()) co_return;
      }
    }
    if (frames > 0) stats_.frames_received.fetch_add(frames, std::memory_order_relaxed);
    // Keep the partial frame at the front, with room for all of it.
    if (begin > 0) {
      std::copy(buffer.begin() + static_cast<ptrdiff_t>(begin),
                buffer.begin() + static_cast<ptrdiff_t>(end), buffer.begin());
      end -= begin;
      begin = 0;
    }
    const size_t wanted = end >= 4 ? std::max(chunk, 4 + load_be(buffer.data(), 4)) : chunk;
    if (buffer.size() < wanted) {
      buffer.resize(wanted);
    } else if (wanted == chunk && buffer.size() > 4 * kReadChunk) {
      buffer.resize(chunk);  // after a large message
      buffer.shrink_to_fit();
    }
    const size_t room = buffer.size() - end;
    reader_back_at_.store(stamp(Clock::now()), std::memory_order_relaxed);
    auto count = co_await transport_->read_some(std::span(buffer.data() + end, room));
    const auto read_at = stamp(Clock::now());
    reader_back_at_.store(0, std::memory_order_relaxed);      // away until the next read
    last_byte_at_.store(read_at, std::memory_order_relaxed);  // any bytes prove life
    if (!count) {
      shut_down(count.error().code == Errc::closed && !closed()
                    ? "connection closed by " + peer_.name
                    : count.error().message);
      co_return;
    }
    end += *count;
    if (*count == room && chunk < kReadChunk) chunk *= 2;  // more was waiting
    // Before the frames are handled, so a reply sent while they are may go inline.
    inline_armed_.store(true, std::memory_order_relaxed);
  }
}

void ConnectionImpl::handle(DistMessage& message) {
  if (is_probe_reply(message.control)) return;
  sink_.deliver(shared_from_this(), std::move(message.control), std::move(message.payload));
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
  const Term probe_pid(Pid{Atom(config_.local_node), kProbePidId, 0, config_.local_creation});
  const Term ref(Reference{
      Atom(config_.local_node), config_.local_creation, {++probe_counter_, 0x70726f62, 0}});
  const Term control = Term::tuple({REG_SEND, probe_pid, Term::atom(""), Term::atom("net_kernel")});
  const Term payload =
      Term::tuple({Term::atom("$gen_call"), Term::tuple({probe_pid, ref}),
                   Term::tuple({Term::atom("is_auth"), Term::atom(config_.local_node)})});
  if (send(control, &payload)) stats_.probes_sent.fetch_add(1, std::memory_order_relaxed);
}

Clock::time_point ConnectionImpl::check(Clock::time_point now, Clock::duration stall) {
  if (closed()) return Clock::time_point::max();
  stats_.checks.fetch_add(1, std::memory_order_relaxed);
  const bool probing = config_.liveness_probe.count() > 0;
  const TickPlan plan = tick_plan(config_);

  // What we heard, and when we could not have.
  const Clock::rep last_byte = last_byte_at_.load(std::memory_order_relaxed);
  detector_.heard(at(last_byte));
  const Clock::rep back = reader_back_at_.load(std::memory_order_relaxed);
  detector_.excuse(back == 0 ? now : at(back));  // away: we are not listening
  const Clock::rep writing = write_started_at_.load(std::memory_order_relaxed);
  if (writing != 0 && now - at(writing) >= kBlockedWrite) {
    detector_.excuse(now);  // the peer is not reading what we send (its answers wait)
  } else {
    detector_.excuse(at(unblocked_at_.load(std::memory_order_relaxed)));
  }
  detector_.discount(stall);

  const auto silence = detector_.silence(now);
  if (probing && detector_.suspect(now) && !verdict_pending_.exchange(true)) {
    const std::string reason = "no answer from " + peer_.name + " for " +
                               std::to_string(ms(silence)) + " ms (liveness timeout " +
                               std::to_string(ms(detector_.timeout())) + " ms, " +
                               std::to_string(config_.liveness_timeout.count()) + " ms configured)";
    asio::post(strand_, [self = shared_from_this(), last_byte, reason] {
      self->confirm_dead(last_byte, reason);
    });
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
  }
  inline_armed_.store(true, std::memory_order_relaxed);
  Clock::time_point written{Clock::duration(last_written_.load(std::memory_order_relaxed))};
  if (plan.tick_now(now, written)) {
    send_tick();
    written = now;
  }
  return plan.next_check(now, written, silence, detector_.timeout(), last_probe_, quiet,
                         config_.ticktime);
}

void ConnectionImpl::confirm_dead(Clock::rep heard, const std::string& reason) {
  verdict_pending_.store(false);
  if (closed()) return;
  // Bytes read since the verdict, or a reader busy with what it read, save the peer.
  if (last_byte_at_.load(std::memory_order_relaxed) != heard ||
      reader_back_at_.load(std::memory_order_relaxed) == 0) {
    stats_.suspicions_withdrawn.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  shut_down(reason);
}

void ConnectionImpl::send_tick() {
  // The writer moves it again when the tick is out.
  last_written_.store(stamp(Clock::now()), std::memory_order_relaxed);
  // Inline when the writer is idle: one send(2) from here, no hand-off.
  if (enqueue(kTickFrame, nullptr, true)) stats_.ticks_sent.fetch_add(1, std::memory_order_relaxed);
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
    std::lock_guard lock(mutex_);
    queue_closed_ = true;
  }
  transport_->close();
  wake_timer_.cancel();
  auto self = shared_from_this();
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
