#include "node/runtime.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <exception>
#include <random>

#include "beamlink/term_text.h"
#include "node/terms.h"

namespace beamlink::node {

Runtime::Runtime(NodeOptions options)
    : options_(std::move(options)),
      ref_salt_(std::random_device{}()),
      pending_(options_.pending_connect_max_messages, options_.pending_connect_max_bytes) {}

Runtime::~Runtime() {
  stop();
}

Result<std::shared_ptr<Runtime>> Runtime::start(NodeOptions options, StartServices start_services,
                                                DistributionFactory factory) {
  auto at = options.name.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == options.name.size()) {
    return fail(Errc::invalid_argument,
                "node name '" + options.name + "' is not of the form name@host");
  }
  auto runtime = std::make_shared<Runtime>(std::move(options));
  if (auto started = runtime->start_distribution(factory); !started) {
    return std::unexpected(started.error());
  }
  runtime->start_kernel();
  if (start_services) {
    if (auto started = start_services(runtime); !started) {
      runtime->stop();
      return std::unexpected(started.error());
    }
  }
  {
    std::lock_guard lock(runtime->ready_mu_);
    runtime->ready_ = true;
  }
  runtime->ready_cv_.notify_all();
  return runtime;
}

Result<void> Runtime::start_distribution(const DistributionFactory& factory) {
  dist::DistOptions d;
  d.node_name = options_.name;
  d.cookie = options_.cookie;
  d.hidden = options_.hidden;
  d.creation = options_.creation;
  d.listen_address = options_.listen_address;
  d.listen_port_min = options_.listen_port_min;
  d.listen_port_max = options_.listen_port_max;
  d.use_epmd = options_.use_epmd;
  d.epmd_host = options_.epmd_host;
  d.epmd_port = options_.epmd_port;
  d.peer_port = options_.peer_port;
  d.ticktime = options_.ticktime;
  d.tick_intensity = options_.tick_intensity;
  d.liveness_probe = options_.liveness_probe;
  d.liveness_timeout = options_.liveness_timeout;
  d.liveness_watchers = options_.liveness_watchers;
  d.setup_time = options_.setup_time;
  d.fragment_size = options_.fragment_size;
  d.max_message_size = options_.max_message_size;
  d.reassembly_budget = options_.reassembly_budget;
  d.dist_buf_busy_limit = options_.dist_buf_busy_limit;
  d.send_timeout = options_.send_timeout;
  d.busy_send_timeout = options_.busy_send_timeout;
  d.io_threads = options_.io_threads;
  if (options_.logger) {
    // Through log(), so a logger that throws never reaches the I/O threads.
    d.logger = [this](dist::LogLevel level, std::string_view message) {
      log(static_cast<LogLevel>(level), message);
    };
  }
  auto started = factory ? factory(d, *this) : dist::Distribution::start(d, *this);
  if (!started) return std::unexpected(started.error());
  dist_ = std::move(*started);
  name_ = dist_->node_name();
  node_atom_ = Atom(name_);
  creation_ = dist_->creation();
  return {};
}

void Runtime::start_kernel() {
  table_ = std::make_unique<ProcessTable>(node_atom_, creation_);
  work_.emplace(io_.get_executor());
  unsigned threads = std::max(1u, options_.worker_threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { run_worker(); });

  anonymous_ = *new_process({});
  anonymous_->mailbox.close();  // replies to anonymous sends are dropped
  (void)new_process({.register_as = "net_kernel"},
                    [this](Process& self, Term message) { net_kernel_message(self, message); });
  (void)new_process({.register_as = "rex"},
                    [this](Process& self, Term message) { rex_message(self, message); });
}

// The root of every task posted to io_ (drains, receive handlers, rpc
// calls, timers): user callbacks are guarded where they run, and anything
// else that escapes is logged and counted here, and the worker goes on.
void Runtime::run_worker() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      callback_threw("a task on a node worker", e.what());
    } catch (...) {
      callback_threw("a task on a node worker", "an exception not derived from std::exception");
    }
  }
}

void Runtime::wait_ready() {
  std::unique_lock lock(ready_mu_);
  ready_cv_.wait(lock, [this] { return ready_ || stopped_.load(); });
}

void Runtime::stop() {
  std::call_once(stop_once_, [this] {
    stopped_ = true;
    ready_cv_.notify_all();
    if (dist_) dist_->stop();
    if (table_) {
      for (const Ptr& state : table_->all()) exit_process(state, atom("shutdown"));
    }
    work_.reset();
    io_.stop();
    for (std::thread& worker : workers_) {
      if (worker.get_id() == std::this_thread::get_id()) {
        worker.detach();  // stop() called from a handler: it returns into io_.run, which ends
      } else if (worker.joinable()) {
        worker.join();
      }
    }
    workers_.clear();
    io_.restart();
    io_.poll();  // completes async receives of the processes just ended
  });
}

uint16_t Runtime::listen_port() const {
  return dist_ ? dist_->listen_port() : 0;
}

NodeStats Runtime::stats() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  NodeStats s;
  s.messages_sent = get(counters_.messages_sent);
  s.messages_received = get(counters_.messages_received);
  s.local_messages = get(counters_.local_messages);
  s.dropped_unknown_pid = get(counters_.dropped_unknown_pid);
  s.dropped_unknown_name = get(counters_.dropped_unknown_name);
  s.dropped_unknown_alias = get(counters_.dropped_unknown_alias);
  s.dropped_no_connection = get(counters_.dropped_no_connection);
  s.dropped_control = get(counters_.dropped_control);
  s.dropped_kernel_requests = get(counters_.dropped_kernel_requests);
  if (dist_) {
    const dist::DistStats received = dist_->stats();
    s.dropped_over_limit = received.messages_discarded;
    s.dropped_over_limit_bytes = received.bytes_discarded;
  }
  s.dropped_pending_overflow = get(counters_.dropped_pending_overflow);
  s.dropped_mailbox_full = get(counters_.dropped_mailbox_full);
  s.mailbox_limit_kills = get(counters_.mailbox_limit_kills);
  s.callback_exceptions = get(counters_.callback_exceptions);
  s.dropped_busy = get(counters_.dropped_busy);
  s.busy_refused = get(counters_.busy_refused);
  s.processes = table_ ? table_->size() : 0;
  std::shared_lock lock(connections_mu_);
  s.connections = connections_.size();
  return s;
}

void Runtime::log(LogLevel level, std::string_view message) const {
  if (!options_.logger) return;
  try {
    options_.logger(level, "node", message);
  } catch (...) {
    bump(counters_.callback_exceptions);  // nowhere to log it
  }
}

void Runtime::callback_threw(std::string_view what, std::string_view detail) noexcept {
  bump(counters_.callback_exceptions);
  try {
    log(LogLevel::error, std::string(what) + " threw: " + std::string(detail));
  } catch (...) {  // out of memory building the line
  }
}

Result<Runtime::Ptr> Runtime::new_process(const SpawnOptions& options,
                                          Node::MessageHandler handler) {
  if (stopped_) return fail(Errc::closed, "spawn: the node " + name_ + " is stopped");
  auto state = std::make_shared<ProcessState>(table_->next_pid(), handler != nullptr);
  state->handler = std::move(handler);
  state->trap_exit = options.trap_exit;
  if (options.max_mailbox) {
    state->mailbox.set_limit(options.max_mailbox->messages);
    state->kill_on_full = options.max_mailbox->policy == MailboxPolicy::kill;
  }
  table_->insert(state);
  if (!options.register_as.empty()) {
    if (auto registered = table_->register_name(options.register_as, state); !registered) {
      exit_process(state, atom("normal"));
      return std::unexpected(registered.error());
    }
  }
  return state;
}

Process Runtime::handle(Ptr state) {
  return Process(shared_from_this(), std::move(state));
}

Runtime::Ptr Runtime::find_local(const Pid& pid) const {
  if (!is_local(pid) || !table_) return nullptr;
  return table_->find(pid);
}

Reference Runtime::make_ref() {
  // Erlang's layout: an 18-bit first word. The third word mixes in a salt
  // drawn at start, so references of two runs with the same creation differ.
  uint64_t n = ref_counter_.fetch_add(1, std::memory_order_relaxed);
  return Reference{node_atom_,
                   creation_,
                   {static_cast<uint32_t>(n & 0x3ffff), static_cast<uint32_t>(n >> 18),
                    ref_salt_ ^ static_cast<uint32_t>(n >> 50)}};
}

namespace {

std::string pid_text(const Pid& pid) {
  return format_term(Term(pid));
}

// Wake-ups held back on this distribution thread while it delivers one
// read's messages (see DistSink::flush), and the read's remote messages
// held per mailbox (deliver_batched).
struct HeldBatch {
  Runtime* runtime = nullptr;
  std::shared_ptr<ProcessState> target;
  std::atomic<uint64_t>* dropped = nullptr;
  std::vector<Term> messages;  // keeps its capacity from read to read
};
struct DeferredWakes {
  bool active = false;
  unsigned pushes = 0;
  std::vector<std::shared_ptr<ProcessState>> mailboxes;
  std::vector<HeldBatch> batches;  // [0, used) hold messages
  size_t used = 0;
  size_t held = 0;
  // The last lookups of this read, by the runtime that made them.
  const Runtime* looked_up_by = nullptr;
  uint64_t pid_key = ~uint64_t{0};
  std::shared_ptr<ProcessState> pid_target;
  std::string name;
  std::shared_ptr<ProcessState> name_target;
};
thread_local DeferredWakes t_deferred;
// Bounds how long the first message of a large read waits for its wake-up
// (and so the size of a batch).
constexpr unsigned kMaxDeferredPushes = 64;
constexpr size_t kMaxHeldMessages = 256;
// Mailboxes one read holds batches for at once; a read to more flushes.
constexpr size_t kMaxBatches = 8;

}  // namespace

void Runtime::defer_wakes() {
  t_deferred.active = true;
}

void Runtime::flush() {
  flush_batches();
  DeferredWakes& deferred = t_deferred;
  deferred.active = false;
  deferred.pushes = 0;
  for (const Ptr& state : deferred.mailboxes) state->mailbox.wake();
  deferred.mailboxes.clear();
  deferred.looked_up_by = nullptr;
  deferred.pid_target.reset();
  deferred.name_target.reset();
}

void Runtime::flush_batches() {
  DeferredWakes& deferred = t_deferred;
  // Taken out first: a push may re-enter (a kill on a full mailbox posts).
  const size_t used = std::exchange(deferred.used, 0);
  deferred.held = 0;
  for (size_t i = 0; i < used; ++i) {
    HeldBatch& batch = deferred.batches[i];
    batch.runtime->push_batch(batch.target, batch.messages, *batch.dropped);
    batch.messages.clear();
    batch.target.reset();
  }
}

void Runtime::deliver_batched(Ptr target, Term message, std::atomic<uint64_t>& dropped) {
  if (target == nullptr) {
    bump(dropped);
    return;
  }
  DeferredWakes& deferred = t_deferred;
  HeldBatch* batch = nullptr;
  for (size_t i = 0; i < deferred.used; ++i) {
    HeldBatch& b = deferred.batches[i];
    if (b.target == target && b.dropped == &dropped && b.runtime == this) {
      batch = &b;
      break;
    }
  }
  if (batch == nullptr) {
    if (deferred.used == kMaxBatches) flush_batches();
    if (deferred.used == deferred.batches.size()) deferred.batches.emplace_back();
    batch = &deferred.batches[deferred.used++];
    batch->runtime = this;
    batch->target = std::move(target);
    batch->dropped = &dropped;
  }
  batch->messages.push_back(std::move(message));
  if (++deferred.held >= kMaxHeldMessages) flush_batches();
}

void Runtime::push_batch(const Ptr& target, std::vector<Term>& messages,
                         std::atomic<uint64_t>& dropped) {
  Mailbox::BatchResult result = target->mailbox.push_batch(messages);
  if (result.closed) {
    dropped.fetch_add(messages.size(), std::memory_order_relaxed);
    return;
  }
  counters_.messages_received.fetch_add(result.accepted, std::memory_order_relaxed);
  for (size_t i = 0; i < result.full; ++i) mailbox_full(target);
  if (result.schedule) schedule_drain(target);
  if (result.waiter) complete_waiter(std::move(result.waiter), std::move(result.message));
}

Runtime::Ptr Runtime::lookup_pid(const dist::PidView& pid) {
  if (pid.node != name_ || pid.creation != creation_ || !table_) return nullptr;
  DeferredWakes& deferred = t_deferred;
  const uint64_t key = (uint64_t{pid.serial} << 32) | pid.id;
  if (deferred.looked_up_by == this && deferred.pid_key == key && deferred.pid_target != nullptr &&
      deferred.pid_target->alive.load(std::memory_order_relaxed)) {
    return deferred.pid_target;
  }
  Ptr found = table_->find(Pid{Atom(), pid.id, pid.serial, pid.creation});
  if (deferred.looked_up_by != this) {
    deferred.name_target.reset();
    deferred.looked_up_by = this;
  }
  deferred.pid_key = key;
  deferred.pid_target = found;
  return found;
}

Runtime::Ptr Runtime::lookup_name(std::string_view name) {
  DeferredWakes& deferred = t_deferred;
  if (deferred.looked_up_by == this && deferred.name_target != nullptr && deferred.name == name &&
      deferred.name_target->alive.load(std::memory_order_relaxed)) {
    return deferred.name_target;
  }
  Ptr found = table_->whereis(name);
  if (deferred.looked_up_by != this) {
    deferred.pid_target.reset();
    deferred.looked_up_by = this;
  }
  deferred.name.assign(name);
  deferred.name_target = found;
  return found;
}

bool Runtime::push(const Ptr& to, Term message) {
  return push_result(to, std::move(message)) == Pushed::ok;
}

Runtime::Pushed Runtime::push_result(const Ptr& to, Term message) {
  DeferredWakes& deferred = t_deferred;
  Mailbox::PushResult result = to->mailbox.push(std::move(message), deferred.active);
  if (result.full) {
    mailbox_full(to);
    return Pushed::full;
  }
  if (!result.accepted) return Pushed::dead;
  if (result.wake_deferred) deferred.mailboxes.push_back(to);
  if (deferred.active && ++deferred.pushes >= kMaxDeferredPushes) {
    flush();
    deferred.active = true;
  }
  if (result.schedule) {
    schedule_drain(to);
  } else if (result.waiter) {
    complete_waiter(std::move(result.waiter), std::move(result.message));
  }
  return Pushed::ok;
}

void Runtime::complete_waiter(Process::ReceiveHandler waiter, std::optional<Term> message) {
  asio::post(io_, [this, waiter = std::move(waiter), message = std::move(message)]() mutable {
    guard_callback("a receive handler", [&] { waiter(std::move(message)); });
  });
}

// Over its mailbox limit: the message was dropped; under the kill policy
// the process also exits (once, from a worker: push may run inside an
// exit's propagation or a delivery).
void Runtime::mailbox_full(const Ptr& state) {
  bump(counters_.dropped_mailbox_full);
  if (!state->kill_on_full || state->killed_for_mailbox.exchange(true)) return;
  bump(counters_.mailbox_limit_kills);
  log(LogLevel::warning, "process " + pid_text(state->pid) + " exceeded its mailbox limit");
  asio::post(io_, [this, state] { exit_process(state, atom("mailbox_limit")); });
}

void Runtime::schedule_drain(Ptr state) {
  asio::post(io_, [this, state = std::move(state)] { drain(state); });
}

void Runtime::drain(const Ptr& state) {
  // A bounded number of batches, then yield the worker to other processes.
  constexpr int kRounds = 8;
  std::deque<Term> batch;
  Process self = handle(state);
  for (int round = 0; round < kRounds; ++round) {
    if (!state->mailbox.take_batch(batch)) {
      self.release();
      return;
    }
    while (!batch.empty() && state->alive.load(std::memory_order_relaxed)) {
      Term message = std::move(batch.front());
      batch.pop_front();
      // A handler that throws ends its process with {cpp_exception, What}.
      std::optional<std::string> threw;
      try {
        state->handler(self, std::move(message));
      } catch (const std::exception& e) {
        threw = e.what();
      } catch (...) {
        threw = "unknown";
      }
      state->mailbox.consumed(1);  // counted against the limit until handled
      if (threw) {
        callback_threw("the message handler of " + pid_text(state->pid), *threw);
        exit_process(state, tuple(atom("cpp_exception"), Term::binary(*threw)));
      }
    }
    state->mailbox.consumed(batch.size());
    batch.clear();
  }
  self.release();
  schedule_drain(state);  // still marked busy: continue later
}

void Runtime::async_receive(const Ptr& state, std::chrono::milliseconds timeout,
                            Process::ReceiveHandler done) {
  std::optional<Term> message;
  uint64_t token = 0;
  switch (state->mailbox.park(done, message, token)) {
    case Mailbox::Park::ready:
    case Mailbox::Park::busy:
    case Mailbox::Park::closed:
      asio::post(io_, [this, done = std::move(done), message = std::move(message)]() mutable {
        guard_callback("a receive handler", [&] { done(std::move(message)); });
      });
      return;
    case Mailbox::Park::parked:
      break;
  }
  if (timeout == kInfinity) return;
  auto timer = std::make_shared<asio::steady_timer>(io_, timeout);
  timer->async_wait(
      [this, weak = std::weak_ptr<ProcessState>(state), token, timer](std::error_code) {
        if (auto s = weak.lock()) {
          if (auto handler = s->mailbox.cancel_parked(token)) {
            guard_callback("a receive handler", [&] { handler(std::nullopt); });
          }
        }
      });
}

}  // namespace beamlink::node
