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
#include "dist/frame_stream.h"
#include "dist/wire.h"

namespace beamlink::dist {
namespace {

using Clock = ConnectionImpl::Clock;
using std::chrono::milliseconds;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

constexpr size_t kMoveThreshold = 64u << 10;  // larger messages are queued whole, not copied
constexpr size_t kKeptCapacity = 4u << 20;    // a drained chunk keeps at most this much

long long ms(Clock::duration duration) {
  return std::chrono::duration_cast<milliseconds>(duration).count();
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
      tick_timer_(strand_) {
  queue_.emplace_back();
  queue_.back().reserve(64u << 10);
}

ConnectionImpl::~ConnectionImpl() = default;

void ConnectionImpl::log(LogLevel level, const std::string& message) const {
  if (config_.logger) config_.logger(level, message);
}

void ConnectionImpl::start(std::vector<uint8_t> leftover) {
  auto self = shared_from_this();
  asio::post(strand_, [self, leftover = std::move(leftover)]() mutable {
    const auto now = Clock::now();
    self->last_received_ = self->last_probe_ = now;
    self->last_written_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    if (self->closed()) {  // closed before it started: never reported
      self->down_reported_ = true;
      self->transport_->close();
      if (self->on_down_) self->on_down_(self);
      return;
    }
    self->up_reported_ = true;
    self->sink_.connection_up(self);
    // Each coroutine holds the connection; a thrown exception becomes a reason.
    auto on_exit = [self](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        self->shut_down(std::string("internal error: ") + e.what());
      } catch (...) {
        self->shut_down("internal error");
      }
    };
    asio::co_spawn(self->strand_, self->reader(std::move(leftover)), on_exit);
    asio::co_spawn(self->strand_, self->writer(), on_exit);
    asio::co_spawn(self->strand_, self->ticker(), on_exit);
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
    auto written = co_await transport_->write(buffers);
    if (!written) {
      shut_down(written.error().message);
      co_return;
    }
    mark_written(total);
    // Keep one drained chunk's capacity for the next swap.
    writing_.resize(1);
    writing_.front().clear();
    if (writing_.front().capacity() > kKeptCapacity) writing_.front().shrink_to_fit();
  }
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
    {
      const FlushAtEnd flush_at_end{sink_};
      for (;;) {
        auto got = stream.next(message);
        if (!got) {
          shut_down("malformed frame from " + peer_.name + ": " + got.error().message);
          co_return;
        }
        if (!*got) break;
        handle(message);
        if (closed()) co_return;
      }
    }
    stats_.frames_received.fetch_add(stream.frames() - frames_before, std::memory_order_relaxed);
    stats_.read_buffer_bytes.store(stream.capacity(), std::memory_order_relaxed);
    stats_.read_buffer_peak.store(stream.peak_capacity(), std::memory_order_relaxed);
    const auto room = stream.room();
    auto count = co_await transport_->read_some(room);
    if (!count) {
      shut_down(count.error().code == Errc::closed && !closed()
                    ? "connection closed by " + peer_.name
                    : count.error().message);
      co_return;
    }
    stream.commit(*count);
    stats_.bytes_received.fetch_add(*count, std::memory_order_relaxed);
    // Any byte is proof of life: a large frame may take many reads.
    if (*count > 0) last_received_ = Clock::now();
    // Before the frames are handled, so a reply sent while they are may go inline.
    inline_armed_.store(true, std::memory_order_relaxed);
  }
}

void ConnectionImpl::handle(DistMessage& message) {
  if (is_probe_reply(message.control)) return;
  sink_.deliver(shared_from_this(), std::move(message.control), std::move(message.payload));
}

void ConnectionImpl::discarded(const std::string& reason) {
  stats_.messages_discarded.fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::warning, "discarded a message from " + peer_.name + ": " + reason);
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

asio::awaitable<void> ConnectionImpl::ticker() {
  const unsigned intensity = std::max(config_.tick_intensity, 1u);
  const milliseconds tick_interval =
      std::max(milliseconds(1), config_.ticktime / static_cast<int>(intensity));
  const bool probing = config_.liveness_probe.count() > 0;
  // While probing, tick whenever we have been quiet for half of
  // liveness_probe, checked every third of it: a beamlink peer then never
  // hears nothing from us for liveness_probe (at most 1/2 + 1/3 of it), so
  // two beamlink nodes never probe each other while both live; only slow
  // tickers (Erlang, every 15 s) and silent peers are probed. A peer busy
  // sending us a backlog still hears from us, though its probes wait
  // behind that backlog.
  const milliseconds quiet_limit =
      probing ? std::min(tick_interval, config_.liveness_probe / 2) : tick_interval;
  milliseconds period = tick_interval;
  if (probing) period = std::min(period, std::max(milliseconds(5), config_.liveness_probe / 3));
  for (;;) {
    tick_timer_.expires_after(period);
    co_await tick_timer_.async_wait(kNoThrow);
    if (closed()) co_return;
    const auto now = Clock::now();
    const auto silent = now - last_received_;
    if (probing && silent >= config_.liveness_timeout) {
      shut_down("no answer from " + peer_.name + " for " + std::to_string(ms(silent)) +
                " ms (liveness timeout " + std::to_string(config_.liveness_timeout.count()) +
                " ms)");
      co_return;
    }
    if (silent >= config_.ticktime) {
      shut_down("net_tick_timeout: nothing from " + peer_.name + " for " +
                std::to_string(ms(silent)) + " ms");
      co_return;
    }
    if (probing && silent >= config_.liveness_probe &&
        now - last_probe_ >= config_.liveness_probe) {
      last_probe_ = now;
      send_probe();
    }
    inline_armed_.store(true, std::memory_order_relaxed);
    const Clock::time_point written{Clock::duration(last_written_.load(std::memory_order_relaxed))};
    if (now - written >= quiet_limit) {
      // The writer moves it again when the tick is out.
      last_written_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      if (enqueue(kTickFrame)) stats_.ticks_sent.fetch_add(1, std::memory_order_relaxed);
    }
  }
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
  tick_timer_.cancel();
  auto self = shared_from_this();
  if (up_reported_) log(LogLevel::info, "connection with " + peer_.name + " down: " + reason);
  if (up_reported_) sink_.connection_down(self, reason);
  if (on_down_) on_down_(self);
}

}  // namespace beamlink::dist
