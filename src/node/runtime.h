// node/runtime.h - the node runtime behind beamlink::Node and
// beamlink::Process: the process table, message routing, links, monitors,
// the kernel services and the distribution sink.
//
// Ownership: Node holds the Runtime through a shared_ptr, and so does every
// Process handle, so a handle may outlive its Node. The Runtime owns the
// Distribution and the worker threads; stop() ends both.
//
// Thread safety: every public member may be called from any thread. The
// DistSink callbacks run on distribution threads (one connection's in
// order). Locks: a process's mutex, the table's shard/name/alias locks, the
// connection map lock and the pending-connect lock are each held only for
// short map operations and never while calling out to another component.
//
// Implementation files: runtime.cc (life cycle, processes), routing.cc
// (messages and connections), signals.cc (links, monitors, exits),
// dispatch.cc (incoming control messages), node_monitor.cc (node events),
// kernel_services.cc (net_kernel, spawn requests, functions),
// kernel/rex.cc (the rex server), kernel/*_builtins.cc (the erlang:
// functions a peer may call), introspection.cc (what they read of the
// processes), rpc_client.cc (ping, rpc, gen_call).
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "beamlink/node.h"
#include "beamlink/process.h"
#include "beamlink/result.h"
#include "beamlink/rpc.h"
#include "beamlink/term.h"
#include "dist/distribution.h"
#include "node/node_testing.h"
#include "node/pending_sends.h"
#include "node/process_state.h"
#include "node/process_table.h"
#include "node/stats.h"

namespace beamlink::node {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class Runtime final : public dist::DistSink, public std::enable_shared_from_this<Runtime> {
 public:
  using FailFn = std::move_only_function<void()>;
  using Ptr = std::shared_ptr<ProcessState>;

  // Called once the kernel processes exist and before any peer's message
  // is delivered: the place to start services that must answer from the
  // first message on (global, pg scopes).
  using StartServices = std::function<Result<void>(const std::shared_ptr<Runtime>&)>;
  // `factory`: see node/node_testing.h; empty: dist::Distribution::start.
  static Result<std::shared_ptr<Runtime>> start(NodeOptions options,
                                                StartServices start_services = nullptr,
                                                DistributionFactory factory = nullptr);
  explicit Runtime(NodeOptions options);  // use start()
  ~Runtime() override;
  void stop();

  const std::string& name() const { return name_; }
  const NodeOptions& options() const { return options_; }
  const Atom& node_atom() const { return node_atom_; }
  uint32_t creation() const { return creation_; }
  uint16_t listen_port() const;
  bool is_local(const Pid& pid) const {
    return pid.node.name == name_ && pid.creation == creation_;
  }
  bool stopped() const { return stopped_.load(); }
  Counters& counters() { return counters_; }
  NodeStats stats() const;
  // Distribution, connections and mailboxes (NodeMetrics without scopes).
  NodeMetrics metrics() const;
  void log(LogLevel level, std::string_view message) const;
  asio::io_context& io() { return io_; }

  // ---- Processes (runtime.cc) ----
  Result<Ptr> new_process(const SpawnOptions& options, Node::MessageHandler handler = nullptr);
  Process handle(Ptr state);
  Ptr find_local(const Pid& pid) const;
  ProcessTable& table() { return *table_; }
  Reference make_ref();
  const Pid& anonymous_pid() const { return anonymous_->pid; }
  // Puts a message in a local mailbox, waking its receiver (inside deliver,
  // at the next flush at the latest). False if dead or over its mailbox
  // limit (then counted, and under the kill policy the process exits).
  bool push(const Ptr& to, Term message);
  enum class Pushed { ok, dead, full };
  Pushed push_result(const Ptr& to, Term message);
  // push, counting the outcome in `delivered` or `dropped` (target may be null).
  void push_counted(const Ptr& target, Term message, std::atomic<uint64_t>& delivered,
                    std::atomic<uint64_t>& dropped);
  void async_receive(const Ptr& state, std::chrono::milliseconds timeout,
                     Process::ReceiveHandler done);

  // ---- Introspection for the built-ins (introspection.cc) ----
  // What erlang:process_info reports of one local process.
  struct ProcessSnapshot {
    Pid pid;
    std::string name;  // registered name, "" if none
    size_t message_queue_len = 0;
    bool trap_exit = false;
    std::vector<Pid> links;      // active links (not those being removed)
    std::vector<Term> monitors;  // what each monitor it holds watches: pid or {Name, Node}
    std::vector<Pid> monitored_by;
  };
  // nullopt: not a live local process.
  std::optional<ProcessSnapshot> process_snapshot(const Pid& pid) const;
  std::vector<Pid> process_pids() const;              // oldest first
  std::vector<std::string> registered_names() const;  // sorted
  size_t processes_with_messages() const;             // queued, not yet taken
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  // erlang:statistics' "since the last call" marks, in milliseconds.
  struct StatisticsMarks {
    std::atomic<int64_t> wall_clock_ms{0};
    std::atomic<int64_t> runtime_ms{0};
  };
  StatisticsMarks& statistics_marks() { return statistics_marks_; }

  // ---- Messages (routing.cc) ----
  // `nosuspend`: send_nosuspend (SendResult::busy instead of waiting for
  // a busy connection); see SendResult in beamlink/process.h.
  SendResult send(const Pid& from, const Pid& to, Term message, bool has_sender = true,
                  bool nosuspend = false);
  SendResult send_named(const Pid& from, std::string_view name, std::string_view node, Term message,
                        bool nosuspend = false);
  SendResult send_alias(const Pid& from, const Reference& alias, Term message);
  // Every signal to another node goes through route, so all signals to a
  // node leave in the order they were routed, whether or not the
  // connection is up yet (Erlang's signal order between two processes).
  // Connect::no: do not set up a connection for it (exits of links,
  // demonitors, replies): it joins a connection being set up or an open
  // one, else it fails.
  enum class Connect { yes, no };
  // Sends a control message to `node`, connecting first if need be, in
  // order with everything else routed to that node. on_fail runs (on some
  // thread, without locks held) if it cannot be handed to a connection,
  // or the queue waiting for the connection is full. A busy connection
  // makes a user thread wait (busy_send_timeout), a node worker queue on
  // (up to the hard cap; see dist::SendMode), and a nosuspend send return
  // busy. No lock is held while a sender waits.
  SendResult route(std::string_view node, Term control, std::optional<Term> payload, FailFn on_fail,
                   Connect connect = Connect::yes, bool nosuspend = false);
  // How a send on this thread treats a busy connection (routing.cc).
  dist::SendMode send_mode(bool nosuspend);
  // route with Connect::no; false if there is neither a connection nor one
  // being set up (or its queue is full).
  bool send_if_connected(std::string_view node, const Term& control, const Term* payload);
  std::shared_ptr<dist::Connection> connection(std::string_view node) const;
  Result<void> connect(std::string_view node);
  void connect_async(std::string_view node, std::function<void(Result<void>)> done);
  void disconnect(std::string_view node);
  std::vector<std::string> nodes(NodeKind kind) const;

  // ---- Links, monitors, exits (signals.cc) ----
  void link(const Ptr& self, const Pid& other);
  void unlink(const Ptr& self, const Pid& other);
  // connect=false: erlang:monitor without setting up a connection (pg's
  // peers): DOWN noconnection at once when the target's node is not up.
  Reference monitor(const Ptr& self, const Pid& target, bool connect = true);
  Reference monitor_name(const Ptr& self, std::string_view name, std::string_view node);
  void demonitor(const Ptr& self, const Reference& ref);
  // exit(To, Reason) sent by `from`.
  void exit_signal(const Pid& from, const Pid& to, Term reason);
  // Ends a local process and propagates its exit.
  void exit_process(const Ptr& state, Term reason);
  Reference create_alias(const Ptr& self);
  void remove_alias(const Ptr& self, const Reference& alias);

  // Incoming signals for local processes (signals.cc).
  void incoming_exit(const Pid& from, const Pid& to, Term reason, bool from_link);
  void incoming_link(const Pid& from, const Pid& to);
  void incoming_unlink(const Pid& from, const Pid& to, std::optional<uint64_t> id);
  void incoming_unlink_ack(const Pid& from, const Pid& to, uint64_t id);
  void incoming_monitor(const Pid& from, const Term& target, const Reference& ref);
  void incoming_demonitor(const Term& target, const Reference& ref);
  void incoming_down(const Pid& to, const Reference& ref, Term reason);

  // ---- Node monitoring (node_monitor.cc) ----
  uint64_t subscribe_node_events(NodeEventHandler handler);
  void unsubscribe_node_events(uint64_t id);
  Result<void> monitor_nodes(const Pid& pid, bool on);

  // ---- Kernel services and rpc (kernel_services.cc, rpc_client.cc) ----
  void register_function(std::string_view module, std::string_view function, RpcFunction fn);
  bool ping(std::string_view node, std::chrono::milliseconds timeout);
  Result<Term> rpc(std::string_view node, std::string_view module, std::string_view function,
                   std::vector<Term> args, std::chrono::milliseconds timeout);
  // gen_call to {name, node} from a temporary process (whose pid
  // make_request may put in the request); the reply, or why there is none.
  Result<Term> gen_call(std::string_view node, std::string_view name,
                        const std::function<Term(const Pid& self)>& make_request,
                        std::chrono::milliseconds timeout);

  // ---- DistSink (dispatch.cc, node_monitor.cc) ----
  void connection_up(const std::shared_ptr<dist::Connection>& connection) override;
  void deliver(const std::shared_ptr<dist::Connection>& from, Term control,
               std::optional<Term> payload) override;
  void deliver_header(const std::shared_ptr<dist::Connection>& from,
                      const dist::ControlHeader& header, std::optional<Term> payload) override;
  void connection_down(const std::shared_ptr<dist::Connection>& connection,
                       const std::string& reason) override;
  // Pushes the remote messages deliver held back (one batch per mailbox)
  // and wakes the receivers whose wake-ups it held back.
  void flush() override;

  // Runs a user callback (logger, event handler, rpc function, message
  // handler, ...): an exception it throws is logged and counted
  // (NodeStats::callback_exceptions), never propagated. Returns false if
  // it threw. REQUIRES: no lock held.
  template <class F>
  bool guard_callback(std::string_view what, F&& fn) noexcept {
    try {
      std::forward<F>(fn)();
      return true;
    } catch (const std::exception& e) {
      callback_threw(what, e.what());
    } catch (...) {
      callback_threw(what, "an exception not derived from std::exception");
    }
    return false;
  }
  void callback_threw(std::string_view what, std::string_view detail) noexcept;

 private:
  enum class Routed { sent, queued, failed };
  // route's work; on `failed` on_fail is left with the caller. `result`:
  // what the connection did with a sent signal (ok for a queued one).
  Routed route_ordered(std::string_view node, Term&& control, std::optional<Term>&& payload,
                       FailFn& on_fail, Connect connect, dist::SendMode mode, SendResult& result);
  // Hands one signal to `conn`; nullopt when there is no connection or it
  // is closed (the signal may then wait for a new one).
  // What a connection's SendStatus means for the sender; nullopt: closed.
  std::optional<SendResult> send_result(dist::SendStatus status);
  // A process's message straight to a live connection, with no control
  // Term (dist::Connection::submit_send); nullopt when it must take
  // route()'s path (signals wait for a connection, or none is up).
  template <class Submit>
  std::optional<SendResult> send_direct(std::string_view node, Submit&& submit);
  std::optional<SendResult> send_on(const std::shared_ptr<dist::Connection>& conn,
                                    const Term& control, const std::optional<Term>& payload,
                                    dist::SendMode mode);
  void pending_overflow(std::string_view node);
  // A function call's outcome and, for errors, the stack erpc reports.
  struct Invocation {
    CallResult result;
    Term stack;
  };
  struct ExitWork {
    Pid from;
    Pid to;
    Term reason;
    bool from_link;
  };

  Result<void> start_distribution(const DistributionFactory& factory);
  void start_kernel();
  void run_worker();
  void wait_ready();
  void schedule_drain(Ptr state);
  void mailbox_full(const Ptr& state);
  // Hands a parked async receiver its message, on a worker.
  void complete_waiter(Process::ReceiveHandler waiter, std::optional<Term> message);
  // Until flush(), pushes on this thread leave blocked receivers asleep.
  static void defer_wakes();
  void drain(const Ptr& state);

  // dispatch.cc: an incoming control message, parsed or built from a Term.
  void dispatch(const dist::ControlHeader& header, std::optional<Term> payload);
  // A remote message for `target` (null: counted in `dropped`), held with
  // the others of this read for the same mailbox until flush_batches():
  // one lock and one wake-up per mailbox per read.
  void deliver_batched(Ptr target, Term message, std::atomic<uint64_t>& dropped);
  // Pushes the held messages, each batch in one go. Before any signal
  // acts, and at flush().
  static void flush_batches();
  void push_batch(const Ptr& target, std::vector<Term>& messages, std::atomic<uint64_t>& dropped);
  // The local process a remote message names, remembered for the rest of
  // the read (a burst to one process looks it up once).
  Ptr lookup_pid(const dist::PidView& pid);
  Ptr lookup_name(std::string_view name);
  void connect_done(const std::string& node, Result<std::shared_ptr<dist::Connection>> result);

  // signals.cc
  void terminate(const Ptr& state, Term reason, std::deque<ExitWork>& work);
  std::optional<Term> apply_exit_signal(const Ptr& target, const ExitWork& signal);
  void run_exit_work(std::deque<ExitWork>& work);
  void deliver_down(const Pid& watcher, const Reference& ref, Term reason);
  void node_down_signals(const std::string& node);

  void notify_node_event(const NodeEvent& event);

  // kernel_services.cc
  void net_kernel_message(Process& self, const Term& message);
  // kernel/rex.cc
  void rex_message(Process& self, const Term& message);
  void rex_gen_call(const Pid& rex, const Pid& from, const Term& tag, const Term& request);
  void rex_cast(const Term& request);
  void rex_info(const Pid& rex, const Pid& from, const Term& request);
  // Runs {call|block_call|cast, M, F, A[, GroupLeader]} on a worker and
  // hands reply what rpc:call returns for it; false if `request` is not
  // of that shape (reply is not called).
  bool rex_apply(const Term& request, std::function<void(Term)> reply);
  static Term rpc_reply(Invocation done);
  void gen_reply(const Pid& from, const Pid& to, const Term& tag, Term reply);
  void spawn_request(const std::shared_ptr<dist::Connection>& from,
                     const std::vector<Term>& control, std::optional<Term> payload);
  Invocation invoke(const Atom& module, const Atom& function, const std::vector<Term>& args);
  std::optional<Invocation> builtin(const Atom& module, const Atom& function,
                                    const std::vector<Term>& args);

  NodeOptions options_;
  std::string name_;
  Atom node_atom_;
  uint32_t creation_ = 0;
  std::unique_ptr<dist::Distribution> dist_;
  std::unique_ptr<ProcessTable> table_;
  mutable Counters counters_;  // mutable: log() is const and counts a throwing logger
  std::atomic<bool> stopped_{false};
  std::once_flag stop_once_;
  Ptr anonymous_;  // sender of messages from outside any process

  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  bool ready_ = false;

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> workers_;

  std::atomic<uint64_t> ref_counter_{0};
  const uint32_t ref_salt_;
  std::atomic<uint64_t> unlink_counter_{0};

  mutable std::shared_mutex connections_mu_;
  std::unordered_map<std::string, std::shared_ptr<dist::Connection>, StringHash, std::equal_to<>>
      connections_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> disconnecting_;  // by us

  PendingSends pending_;

  std::mutex events_mu_;
  std::map<uint64_t, NodeEventHandler> event_handlers_;
  uint64_t next_event_handler_ = 1;
  std::vector<Pid> node_monitors_;

  const std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  StatisticsMarks statistics_marks_;

  mutable std::shared_mutex functions_mu_;
  std::unordered_map<std::string, RpcFunction, StringHash, std::equal_to<>> functions_;
};

}  // namespace beamlink::node
