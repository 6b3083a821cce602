// dist/distribution.h - the distribution layer's interface to the node
// runtime: listening, EPMD registration, connecting, the handshake, the
// connections and their ticks. (What net_kernel and the dist controllers
// are to an Erlang node.)
//
// The node runtime (src/node) owns one Distribution and implements
// DistSink; nothing in src/dist knows about processes.
//
// Contract:
//  * Distribution::start binds the listen socket (a port from
//    options.listen_port_min..max, 0 = ephemeral), registers the node's
//    alive name with EPMD unless options.use_epmd is false, and runs
//    options.io_threads threads of its own. stop() closes every connection
//    (each reported through connection_down) and the listener, unregisters
//    from EPMD, and joins the threads. The destructor calls stop().
//  * At most one Connection per peer node name. Simultaneous connects are
//    resolved as erl_dist_protocol says (the node with the greater name
//    keeps its outgoing attempt; the other answers ok_simultaneous / nok),
//    so two nodes dialling each other at once end with exactly one
//    connection.
//  * DistSink callbacks run on the connection's own strand: for one
//    connection they are serialised and ordered (connection_up, then
//    deliver/deliver_header..., then connection_down exactly once); across connections
//    they run concurrently. A sink must not block for long. flush() follows
//    each read's deliveries.
//  * Connection::send / submit are thread-safe: they encode in the calling
//    thread and queue the bytes; the connection's writer batches what is
//    queued into gather writes. Large messages are split into fragments
//    when the peer accepts FRAGMENTS, and the writer interleaves the
//    fragments of different senders (see connection.h).
//  * Back-pressure, as Erlang's dist_buf_busy_limit: a connection with
//    more than options.dist_buf_busy_limit bytes queued is busy. What a
//    send does then depends on its SendMode and its thread (SendMode
//    below); a send on a distribution thread never blocks.
//  * A peer that takes no byte of our output for options.send_timeout is
//    disconnected, whatever it sends us meanwhile.
//  * A malformed frame, a missed tick deadline or a transport error closes
//    only that connection, with a reason in connection_down.
//  * Receiving is bounded: a frame is buffered as its bytes arrive, never
//    allocated from its declared length; a message over max_message_size,
//    or whose reassembly the node-wide reassembly_budget cannot hold, is
//    discarded (its remaining bytes and fragments skipped unread), logged
//    once at warning and counted in stats(), and the connection stays up.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/node_metrics.h"
#include "beamlink/result.h"
#include "beamlink/term.h"
#include "dist/control_header.h"

namespace beamlink::dist {

// The pid id (serial 0) the distribution layer sends liveness probes from;
// replies to it are consumed by the connection and never delivered. The
// node runtime allocates process ids above kFirstProcessId.
inline constexpr uint32_t kProbePidId = 1;
inline constexpr uint32_t kFirstProcessId = 64;

struct PeerInfo {
  std::string name;       // "name@host"
  uint64_t flags = 0;     // capability flags the peer announced
  uint32_t creation = 0;  // the peer's creation
  bool hidden = false;    // the peer is hidden (no PUBLISHED flag) or we are
};

// What a send does while its connection is busy (over the busy limit).
// On the connection's own distribution threads every mode but nosuspend
// acts as `queue` and, past the hard cap, drops instead of blocking: those
// threads run the writer, so blocking them would deadlock it.
enum class SendMode {
  // Blocks until the queue drains below the limit, the connection closes
  // or options.busy_send_timeout passes (then SendStatus::timeout, dropped).
  wait,
  // erlang:send_nosuspend: SendStatus::busy, and nothing is queued.
  nosuspend,
  // Queues past the limit without blocking, up to the hard cap
  // (kHardCapFactor x the limit); past that it waits as `wait` does. For
  // threads that must stay responsive (the node's workers run net_kernel).
  queue,
};

// The busy limit times this is the hard cap on a connection's queue.
inline constexpr size_t kHardCapFactor = 16;

enum class SendStatus {
  ok,        // queued (or written)
  busy,      // nosuspend on a busy connection: not queued
  timeout,   // busy for busy_send_timeout: not queued
  overflow,  // past the hard cap on a distribution thread: not queued
  closed,    // the connection is closed: not queued
  invalid,   // a term ETF cannot carry: not queued
};
std::string_view to_string(SendStatus status);

// One live, handshaken connection to a peer node.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual const PeerInfo& peer() const = 0;
  // Queues one distribution message: a control message tuple and, for
  // SEND/REG_SEND/EXIT-with-payload/... kinds, the payload term, with
  // SendMode::wait. True when queued; false (and dropped) otherwise.
  virtual bool send(const Term& control, const Term* payload = nullptr) = 0;
  // send() with an explicit mode and the reason for a failure. The default
  // (for connections without back-pressure) ignores the mode.
  virtual SendStatus submit(const Term& control, const Term* payload, SendMode /*mode*/) {
    return send(control, payload) ? SendStatus::ok : SendStatus::closed;
  }
  // A process's message, without a control Term: {SEND_SENDER, From, To}
  // (or {SEND, '', To} when !has_sender) + message, and {REG_SEND, From,
  // '', Name} + message. Same order (the sender's lane) and modes as
  // submit(); the defaults build the control Term and call it.
  virtual SendStatus submit_send(const Pid& from, const Pid& to, bool has_sender,
                                 const Term& message, SendMode mode);
  virtual SendStatus submit_reg_send(const Pid& from, const Atom& name, const Term& message,
                                     SendMode mode);
  // Closes the connection; connection_down follows with `reason`.
  virtual void close(std::string reason) = 0;
  // Its counters and queue now; the default knows only the peer.
  virtual PeerMetrics metrics() const { return PeerMetrics{peer().name, peer().hidden}; }
  virtual bool closed() const = 0;
};

class DistSink {
 public:
  virtual ~DistSink() = default;
  virtual void connection_up(const std::shared_ptr<Connection>& connection) = 0;
  // One message: the decoded control tuple and the payload if it has one.
  virtual void deliver(const std::shared_ptr<Connection>& from, Term control,
                       std::optional<Term> payload) = 0;
  // One message whose control message was parsed straight from its bytes
  // (control_header.h): the data path's. The header's views are valid only
  // during the call. The default builds the control tuple and calls
  // deliver().
  virtual void deliver_header(const std::shared_ptr<Connection>& from, const ControlHeader& header,
                              std::optional<Term> payload) {
    deliver(from, header.to_term(), std::move(payload));
  }
  virtual void connection_down(const std::shared_ptr<Connection>& connection,
                               const std::string& reason) = 0;
  // Called on the same strand after the messages decoded from one read were
  // delivered (and before the connection waits for more): a sink may hold
  // back what deliver queued (the messages, or their wake-ups) until then,
  // so a burst read at once costs each receiver one lock and one wake-up,
  // not one per message.
  virtual void flush() {}
};

enum class LogLevel { debug, info, warning, error };
using Logger = std::function<void(LogLevel, std::string_view message)>;

struct DistOptions {
  std::string node_name;  // "name@host" (long) or "name@shorthost" (short)
  std::string cookie;
  bool hidden = false;
  uint32_t creation = 0;  // 0: take EPMD's (or a random one without EPMD)
  // Listen address (an IP literal) and port range, like inet_dist_use_interface
  // and inet_dist_listen_min/max. Port 0..0 means ephemeral.
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port_min = 0;
  uint16_t listen_port_max = 0;
  bool use_epmd = true;
  std::string epmd_host = "127.0.0.1";
  uint16_t epmd_port = 0;  // 0: epmd::default_port()
  // Without EPMD, peers are dialled on this port (like -erl_epmd_port).
  uint16_t peer_port = 0;
  // Ticks, as Erlang does them: a tick (empty frame) is sent when nothing
  // was written for ticktime/tick_intensity, and a peer silent for
  // `tick_intensity` such intervals is dropped. Erlang's default, 60 s / 4,
  // keeps idle Erlang peers (which tick every 15 s) connected.
  std::chrono::milliseconds ticktime{std::chrono::seconds(60)};
  unsigned tick_intensity = 4;
  // Fast failure detection that works with any peer: when nothing has been
  // received for `liveness_probe`, the connection sends the peer's
  // net_kernel an {is_auth, Node} gen_call (which Erlang and beamlink both
  // answer) from the reserved probe pid (kProbePidId); the reply, and any
  // other traffic, proves the peer alive. A peer silent for
  // `liveness_timeout` is dropped: that is the floor of a phi-accrual
  // timeout that grows (up to ticktime) for a connection whose arrivals
  // have been irregular; silence while we were not reading, our writes were
  // blocked or our process stalled is not counted (failure_detector.h).
  // An idle connection ticks every liveness_probe (beamlink peers then never
  // need probing); a peer silent for 1.2 liveness_probe is probed. One
  // TickScheduler per Distribution looks at a connection only when a tick,
  // a probe or a verdict may be due (dist/tick_plan.h). Zero disables
  // probing.
  std::chrono::milliseconds liveness_probe{std::chrono::milliseconds(1000)};
  std::chrono::milliseconds liveness_timeout{std::chrono::milliseconds(1500)};
  // Between beamlink nodes (both probing, both with this above zero) each
  // node is watched as above by only this many peers, which tell the rest
  // when they drop it; the rest check for themselves with a ping before they
  // drop it, and otherwise tick at Erlang's pace (dist/peer_watch.h). An
  // idle mesh then sends about `liveness_watchers` fast ticks per node per
  // second instead of one per connection. 0: every connection is watched.
  unsigned liveness_watchers = 3;
  std::chrono::milliseconds setup_time{std::chrono::seconds(7)};  // net_setuptime
  size_t fragment_size = 64u << 10;  // payload bytes per outgoing fragment
  // Receiving. The largest message accepted, in bytes of its encoded terms
  // (an unfragmented frame's body; a fragmented message's fragment data);
  // also the most a compressed term may inflate to. Erlang has no limit;
  // erl delivers 256 MiB binaries, so the default is above that.
  size_t max_message_size = size_t{1} << 30;
  // Bytes of unfinished incoming messages all connections together may hold
  // (fragments being reassembled, and large frames beyond a connection's
  // 256 KiB read buffer). A message that would go over it is discarded.
  size_t reassembly_budget = size_t{1} << 30;
  // Back-pressure (see SendMode): a connection with more than this many
  // output bytes queued is busy, like erl's +zdbbl (dist_buf_busy_limit).
  size_t dist_buf_busy_limit = 1u << 20;
  // A peer whose socket takes none of our bytes for this long is dropped,
  // even while its ticks arrive (erl: net_ticktime for writes, inet's
  // send_timeout). Far above liveness_timeout, because a live peer may
  // stop reading for a while to take in one large message; 0 disables.
  std::chrono::milliseconds send_timeout{std::chrono::seconds(10)};
  // How long a SendMode::wait sender waits for a busy connection.
  std::chrono::milliseconds busy_send_timeout{std::chrono::seconds(10)};
  unsigned io_threads = 1;
  Logger logger;
};

// Node-wide receive counters, since start.
struct DistStats {
  uint64_t messages_discarded = 0;  // on receipt: over a limit (see DistOptions)
  uint64_t bytes_discarded = 0;     // the bytes of them that arrived
  uint64_t reassembly_bytes = 0;    // of reassembly_budget, in use now
  uint64_t failures = 0;            // exceptions caught at a coroutine root or around a callback
};

class Distribution {
 public:
  static Result<std::unique_ptr<Distribution>> start(const DistOptions& options, DistSink& sink);
  virtual ~Distribution() = default;

  virtual const std::string& node_name() const = 0;
  virtual uint32_t creation() const = 0;
  virtual uint16_t listen_port() const = 0;

  // Connects (or returns the existing connection). Calls `done` once, on a
  // distribution thread, with the connection or the reason it failed
  // (EPMD lookup, TCP, handshake refusal such as a wrong cookie, timeout).
  virtual void connect(const std::string& node,
                       std::function<void(Result<std::shared_ptr<Connection>>)> done) = 0;
  // Blocking form of connect, bounded by options.setup_time.
  virtual Result<std::shared_ptr<Connection>> connect_sync(const std::string& node) = 0;
  virtual std::shared_ptr<Connection> connection(std::string_view node) const = 0;
  virtual std::vector<std::shared_ptr<Connection>> connections() const = 0;
  virtual void disconnect(std::string_view node) = 0;
  virtual void stop() = 0;
  virtual DistStats stats() const { return {}; }
  // Connects, handshakes and their latencies, node-wide.
  virtual DistMetrics metrics() const { return {}; }
};

}  // namespace beamlink::dist
