// beamlink/node.h - a beamlink node: a full peer of Erlang and Elixir nodes,
// with processes, registered names, links, monitors, node monitoring and
// rpc in both directions.
//
// Contract:
//  * Node::start starts the distribution layer (listen socket, EPMD
//    registration, its I/O threads) and the node's worker threads, and the
//    kernel services a peer expects: `net_kernel` (answers {is_auth, Node}
//    gen_calls so net_adm:ping returns pong), `rex` (every request form
//    OTP 25-27's rpc, ei_rpc and erl_call send it; see src/node/kernel/rex.cc),
//    spawn requests for erpc/rpc calls to C++ functions (register_function)
//    and the erlang: built-ins of src/node/kernel/builtins.h (node, nodes,
//    whereis, is_alive, registered, processes, process_info, memory,
//    system_info, statistics, system_time, monotonic_time). Any other spawn
//    request is refused with SPAWN_REPLY `notsup`. The node also runs the
//    default `pg` scope (beamlink/pg.h), a visible node takes part in
//    Erlang's `global` (beamlink/global.h), and gen_server calls go both
//    ways (beamlink/gen_server.h); see docs/otp-interop.md. Traffic for
//    services beamlink lacks is dropped and counted.
//  * Thread safety: every member may be called from any thread at once.
//    Several Nodes may live in one process; there is no global state.
//  * Ownership: the caller owns the Node. Destroying it calls stop(), which
//    closes every connection, kills every process (reason `shutdown`) and
//    joins the node's threads. Process handles stay valid but dead.
//  * Sends never fail: a message for an unknown local pid or name is
//    dropped and counted (NodeStats); a message for a node not yet
//    connected triggers a connect (as Erlang auto-connects) and waits in
//    order until it is up, or is dropped if the connect fails or the wait
//    queue is full (pending_connect_max_*). Local sends go straight to the
//    mailbox (or are dropped over its mailbox limit). A send to a busy
//    connection (over dist_buf_busy_limit) waits on a user thread, as
//    Erlang suspends the sender, for at most busy_send_timeout;
//    send_nosuspend returns busy instead (see SendResult in
//    beamlink/process.h). All signals from one process to another
//    (messages, links, unlinks, monitors, demonitors, exits) arrive in the
//    order sent.
//  * User callbacks (logger, node-event handlers, rpc functions, message
//    handlers, receive handlers) run with no node lock held and may call
//    back into the node; one that throws is logged and counted
//    (NodeStats::callback_exceptions), and a message handler that throws
//    ends its process with {cpp_exception, What}.
//  * rpc() uses the peer's `rex` server: it sends
//    {'$gen_call', {From, Ref}, {call, M, F, A, GroupLeader}} to {rex, Node}
//    (our own temporary pid is the group leader) and waits for {Ref, Reply}.
//    An Erlang-side exception comes back as Errc::refused with the
//    {badrpc, Reason} text; a lost connection as Errc::closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/gen_server.h"
#include "beamlink/global.h"
#include "beamlink/log.h"
#include "beamlink/node_events.h"
#include "beamlink/node_metrics.h"
#include "beamlink/process.h"
#include "beamlink/result.h"
#include "beamlink/rpc.h"
#include "beamlink/term.h"

namespace beamlink {

class ProcessGroups;

// Deprecated: the node's logger is a beamlink::Logger (beamlink/log.h).
using NodeLogger = Logger;

// A bound on the messages queued in one process's mailbox, like Erlang's
// max_heap_size: when a message would take the mailbox over `messages`,
// the message is dropped and counted (policy drop), or the process is
// killed with reason `mailbox_limit` (policy kill; the message is dropped
// too). 0: no bound (Erlang's default).
enum class MailboxPolicy { drop, kill };
struct MailboxLimit {
  size_t messages = 0;
  MailboxPolicy policy = MailboxPolicy::drop;
};

// Distribution settings are handed to the node's distribution layer (see
// src/dist/distribution.h for the full story of each); the defaults are Erlang's.
struct NodeOptions {
  std::string name;  // "name@host" (long names) or "name@shorthost"
  std::string cookie;
  bool hidden = false;  // connect as a hidden node (not in peers' nodes())
  // erl's -connect_all: nodes `global` learns of from a peer get connected.
  // false: global only talks over connections that exist, so a node a
  // discovery topology disconnected stays disconnected (with true, global
  // reconnects it through any peer that still sees it).
  bool connect_all = true;
  uint32_t creation = 0;  // 0: EPMD's
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port_min = 0;  // 0..0: ephemeral
  uint16_t listen_port_max = 0;
  bool use_epmd = true;
  std::string epmd_host = "127.0.0.1";
  uint16_t epmd_port = 0;  // 0: epmd::default_port() (ERL_EPMD_PORT or 4369)
  uint16_t peer_port = 0;  // without EPMD: the port peers listen on
  std::chrono::milliseconds ticktime{std::chrono::seconds(60)};
  unsigned tick_intensity = 4;
  std::chrono::milliseconds liveness_probe{std::chrono::milliseconds(1000)};
  std::chrono::milliseconds liveness_timeout{std::chrono::milliseconds(1500)};
  // Between beamlink nodes: how many peers watch each node closely (the
  // others tick at Erlang's pace and check a reported node themselves);
  // 0: every connection is watched closely. See dist/peer_watch.h.
  unsigned liveness_watchers = 3;
  std::chrono::milliseconds setup_time{std::chrono::seconds(7)};
  size_t fragment_size = 64u << 10;
  // Receiving bounds (node.max_message_size, node.reassembly_budget): a
  // larger message, or one the node-wide budget for unfinished messages
  // cannot hold, is discarded and counted (NodeStats::dropped_over_limit);
  // the connection stays up. (These replace max_frame_size, which closed
  // the connection.)
  size_t max_message_size = size_t{1} << 30;
  size_t reassembly_budget = size_t{1} << 30;
  // Back-pressure and the send timeout (see src/dist/distribution.h).
  size_t dist_buf_busy_limit = 1u << 20;
  std::chrono::milliseconds send_timeout{std::chrono::seconds(10)};  // 0: never
  std::chrono::milliseconds busy_send_timeout{std::chrono::seconds(10)};
  unsigned io_threads = 1;  // distribution I/O threads
  // Threads that run handler processes, rpc functions and async receives.
  unsigned worker_threads = 1;
  // ---- Bounds on the node's queues ----
  // Signals routed to one node while its connection is being set up wait
  // in order, at most this many and this many encoded bytes (0: no bound);
  // more are dropped and counted (NodeStats::dropped_pending_overflow), and
  // a dropped link or monitor fires as if the node were unreachable.
  size_t pending_connect_max_messages = 100000;
  size_t pending_connect_max_bytes = 64u << 20;
  // The mailbox limit of processes spawned without one of their own
  // (SpawnOptions::max_mailbox, start_server); the node's own services
  // (rex, net_kernel, global, pg) are not bound.
  MailboxLimit max_mailbox;

  // May be empty. Called with area "node" (the runtime and its
  // distribution layer). A logger that throws is counted
  // (NodeStats::callback_exceptions), never propagated.
  Logger logger;
};

struct NodeStats {
  uint64_t messages_sent = 0;      // to other nodes (SEND*, REG_SEND, ALIAS_SEND)
  uint64_t messages_received = 0;  // from other nodes, put in a mailbox
  uint64_t local_messages = 0;     // delivered on this node without the network
  uint64_t dropped_unknown_pid = 0;
  uint64_t dropped_unknown_name = 0;     // includes absent services
  uint64_t dropped_unknown_alias = 0;    // inactive alias
  uint64_t dropped_no_connection = 0;    // the peer could not be reached
  uint64_t dropped_control = 0;          // control messages beamlink does not handle
  uint64_t dropped_kernel_requests = 0;  // rex messages of no known shape and no sender to tell
  // Messages from peers discarded unread: over max_message_size, the
  // reassembly budget or a decode limit (e.g. a compressed term inflating
  // past max_message_size); and the bytes of them that arrived.
  uint64_t dropped_over_limit = 0;
  uint64_t dropped_over_limit_bytes = 0;
  uint64_t dropped_pending_overflow = 0;  // the queue waiting for a connection was full
  uint64_t dropped_mailbox_full = 0;      // over a mailbox limit (either policy)
  uint64_t mailbox_limit_kills = 0;       // processes killed by the kill policy
  // User callbacks (logger, node-event handlers, rpc functions, message
  // handlers, receive handlers) that threw; each was logged.
  uint64_t callback_exceptions = 0;
  uint64_t dropped_busy = 0;  // a busy connection: waited busy_send_timeout, or over its hard cap
  uint64_t busy_refused = 0;  // send_nosuspend answered SendResult::busy
  uint64_t processes = 0;     // alive now
  uint64_t connections = 0;   // up now
};

enum class NodeKind { visible, hidden, all };

struct SpawnOptions {
  bool trap_exit = false;
  std::string register_as;  // register the new process under this name
  // nullopt: NodeOptions::max_mailbox.
  std::optional<MailboxLimit> max_mailbox = std::nullopt;
};

class Node {
 public:
  // Called for each message of a handler process, one at a time, on a node
  // worker thread. `self` is valid only during the call.
  using MessageHandler = std::function<void(Process& self, Term message)>;

  static Result<std::unique_ptr<Node>> start(NodeOptions options);
  virtual ~Node() = default;

  virtual const std::string& name() const = 0;
  virtual uint32_t creation() const = 0;
  virtual uint16_t listen_port() const = 0;

  // ---- Processes ----
  // A process whose mailbox the caller reads (receive / async_receive).
  virtual Result<Process> spawn(const SpawnOptions& options = {}) = 0;
  // A process that runs `handler` for each message until it exits
  // (self.exit(...), an exit signal, or the node stopping).
  virtual Result<Pid> spawn_handler(MessageHandler handler, const SpawnOptions& options = {}) = 0;
  virtual bool alive(const Pid& pid) const = 0;

  // ---- Names ----
  // Errc::invalid_argument if the name is taken, the pid is not a live
  // local process or already has a name.
  virtual Result<void> register_name(std::string_view name, const Pid& pid) = 0;
  virtual bool unregister_name(std::string_view name) = 0;
  virtual std::optional<Pid> whereis(std::string_view name) const = 0;
  virtual std::vector<std::string> registered() const = 0;

  // ---- Messages and signals without a sending process ----
  // Back-pressure as Process::send has it (see beamlink/process.h).
  virtual SendResult send(const Pid& to, Term message) = 0;
  virtual SendResult send(std::string_view name, std::string_view node, Term message) = 0;
  virtual SendResult send_alias(const Reference& alias, Term message) = 0;
  // erlang:send_nosuspend: SendResult::busy instead of waiting.
  virtual SendResult send_nosuspend(const Pid& to, Term message) = 0;
  virtual SendResult send_nosuspend(std::string_view name, std::string_view node, Term message) = 0;
  // exit(Pid, Reason) from outside any process.
  virtual void exit(const Pid& pid, Term reason) = 0;
  virtual Reference make_ref() = 0;

  // ---- Nodes ----
  // Connects (or finds the connection); bounded by options.setup_time.
  virtual Result<void> connect(std::string_view node) = 0;
  // The same without blocking: `done` is called once, on a distribution
  // thread (or at once on the caller's when there is nothing to do), with
  // the outcome. It must not block.
  virtual void connect_async(std::string_view node, std::function<void(Result<void>)> done) = 0;
  virtual void disconnect(std::string_view node) = 0;
  virtual std::vector<std::string> nodes(NodeKind kind = NodeKind::visible) const = 0;
  // net_adm:ping: connect and ask the peer's net_kernel {is_auth, Us}.
  virtual bool ping(std::string_view node,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) = 0;
  // Calls Module:Function(Args...) on `node` (see the contract above).
  virtual Result<Term> rpc(std::string_view node, std::string_view module,
                           std::string_view function, std::vector<Term> args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) = 0;
  // Makes Module:Function callable from other nodes; replaces an earlier one.
  virtual void register_function(std::string_view module, std::string_view function,
                                 RpcFunction fn) = 0;

  // ---- Node monitoring ----
  // Returns an id for unsubscribe_node_events.
  virtual uint64_t subscribe_node_events(NodeEventHandler handler) = 0;
  virtual void unsubscribe_node_events(uint64_t id) = 0;
  // net_kernel:monitor_nodes(On, [nodedown_reason, {node_type, all}]) for a
  // local process; see beamlink/node_events.h for the message shapes.
  virtual Result<void> monitor_nodes(const Pid& pid, bool on = true) = 0;

  // ---- Process groups (beamlink/pg.h) ----
  // The default pg scope `pg`, started with the node.
  virtual ProcessGroups& pg() = 0;
  // Scope `scope` (an atom's text), started on first use; Errc::closed
  // once the node is stopped.
  virtual Result<ProcessGroups*> pg(std::string_view scope) = 0;
  // ---- gen_server (see beamlink/gen_server.h) ----
  // gen_server:call from a temporary process of this node.
  virtual CallReply call(const ServerRef& to, Term request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
  // gen_server:call made by `self` (a process of this node: a spawned
  // Process, or a handler's `self` inside its handler). REQUIRES: no other
  // thread receives from `self` meanwhile.
  virtual CallReply call(Process& self, const ServerRef& to, Term request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
  // The same call without blocking any thread: `done` gets the outcome on
  // a node worker thread (a C++ exception it throws is logged).
  virtual void call_async(const ServerRef& to, Term request, std::chrono::milliseconds timeout,
                          CallCallback done) = 0;
  virtual void cast(const ServerRef& to, Term request) = 0;
  // Starts `server` as a process of this node; its pid.
  virtual Result<Pid> start_server(std::shared_ptr<GenServer> server,
                                   const ServerOptions& options = {}) = 0;
  virtual GenServerStats gen_server_stats() const = 0;

  virtual NodeStats stats() const = 0;
  // Per connection, distribution, mailboxes and process groups (see
  // beamlink/node_metrics.h); beamlink/metrics.h renders it for Prometheus.
  virtual NodeMetrics metrics() const = 0;
  virtual void stop() = 0;

  // ---- Services ----
  // Erlang's global names and locks (beamlink/global.h).
  virtual Global& global() = 0;
};

}  // namespace beamlink
