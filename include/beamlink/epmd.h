// beamlink/epmd.h - talk to an Erlang Port Mapper Daemon, or be one.
//
// Client calls (names, port_please, register_node) block the calling thread
// for at most ClientOptions::timeout and return a Result; they never throw.
// They are safe to call from any thread concurrently: each call uses its own
// connection and its own private I/O context.
//
// A Registration owns the TCP connection that keeps a name registered: EPMD
// forgets the name when that connection closes, so destroying or close()-ing
// the Registration unregisters the node. A Registration is movable, not
// copyable, and not safe to use from two threads at once.
// (The node runtime uses the asynchronous form in src/epmd/epmd_async.h,
// which builds the same Registration on the caller's executor.)
//
// Server is the daemon. It runs on its own thread; every public member is
// safe to call from any thread. Registrations are accepted only from the
// local host (a loopback peer, or a peer whose address equals the address it
// connected to), as real epmd does.
//
// The only environment variable read anywhere in this module is
// ERL_EPMD_PORT, by default_port().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/log.h"
#include "beamlink/result.h"

namespace beamlink::epmd {

// ERL_EPMD_PORT if it is set to a number in 1..65535, else 4369.
uint16_t default_port();

// NodeType values from the OTP documentation.
inline constexpr uint8_t kNodeTypeNormal = 77;  // 'M': a normal Erlang node
inline constexpr uint8_t kNodeTypeHidden = 72;  // 'H': hidden node / C node
inline constexpr uint8_t kProtocolTcp = 0;

// What one node registers and what PORT_PLEASE2 returns.
struct NodeInfo {
  std::string name;   // the part before '@', as registered
  uint16_t port = 0;  // the node's distribution listen port
  uint8_t node_type = kNodeTypeNormal;
  uint8_t protocol = kProtocolTcp;
  uint16_t highest_version = 6;  // OTP 23+ speaks version 6
  uint16_t lowest_version = 5;
  std::string extra;  // opaque bytes, usually empty

  bool operator==(const NodeInfo&) const = default;
};

// One line of a NAMES_RESP: "name <name> at port <port>".
struct NameEntry {
  std::string name;
  uint16_t port = 0;

  bool operator==(const NameEntry&) const = default;
};

struct ClientOptions {
  std::string host = "127.0.0.1";  // IP literal (v4 or v6) or a host name
  uint16_t port = default_port();
  std::chrono::milliseconds timeout{5000};  // whole call: resolve, connect, exchange
};

// The answer to NAMES_REQ.
struct NamesReply {
  uint32_t epmd_port = 0;          // the port the daemon says it listens on
  std::vector<NameEntry> entries;  // parsed lines, in the daemon's order
  std::string text;                // the raw lines, exactly as sent

  // Exactly what `epmd -names` prints:
  // "epmd: up and running on port 4369 with data:\nname x at port 1234\n".
  std::string to_epmd_text() const;
};

// NAMES_REQ. Errc::io / Errc::timeout when no daemon answers.
Result<NamesReply> names_reply(const ClientOptions& options);
// NAMES_REQ, entries only.
Result<std::vector<NameEntry>> names(const ClientOptions& options);

// PORT_PLEASE2_REQ. Errc::not_found when the daemon does not know `name`.
Result<NodeInfo> port_please(const ClientOptions& options, std::string_view name);

// The registration of one node with one daemon; see the contract above.
class Registration {
 public:
  struct Impl;

  Registration();  // empty: active() is false
  explicit Registration(std::unique_ptr<Impl> impl);
  Registration(Registration&&) noexcept;
  Registration& operator=(Registration&&) noexcept;
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration();  // close()

  // The creation number the daemon assigned (32-bit for ALIVE2_X_RESP,
  // 1..3 for an old daemon's ALIVE2_RESP). 0 when empty.
  uint32_t creation() const;
  const NodeInfo& node() const;

  // True until close() (or a move from this object).
  bool active() const;
  // Checks without blocking whether the daemon still holds the connection
  // open. False once it has closed it (the daemon died) or after close().
  bool connection_alive();
  // Closes the connection, which unregisters the name. Idempotent.
  void close();

 private:
  std::unique_ptr<Impl> impl_;
};

// ALIVE2_REQ. Errc::refused when the daemon answers with a nonzero result
// (name taken, or not a local peer); Errc::invalid_argument for an empty name
// or a name or extra longer than 65535 bytes.
Result<Registration> register_node(const ClientOptions& options, const NodeInfo& node);

// KILL_REQ: asks the daemon to exit. Ok(true) on "OK", Ok(false) on "NO"
// (live nodes registered and no relaxed command check).
Result<bool> kill(const ClientOptions& options);

// ---------------------------------------------------------------------------
// The daemon.

struct ServerLimits {
  size_t max_connections = 1024;                     // beyond this, new connections are closed
  std::chrono::milliseconds request_timeout{10000};  // to receive one whole request
  size_t max_name_length = 255;                      // bytes in NodeName
  size_t max_extra_length = 1024;                    // bytes in Extra
};

// epmd::LogLevel and epmd::Logger were the daemon's own logger types;
// they are now beamlink::LogLevel and beamlink::Logger (beamlink/log.h,
// area "epmd"). The aliases stay for old code: deprecated.
using LogLevel = beamlink::LogLevel;
using Logger = beamlink::Logger;

struct ServerOptions {
  // IP literals to listen on. Empty means what real epmd does without
  // -address: every interface ("0.0.0.0" and "::"). Tests and scripts in
  // this repository always pass {"127.0.0.1"}.
  std::vector<std::string> addresses;
  uint16_t port = default_port();  // 0 = ephemeral, see Server::port()
  ServerLimits limits;
  // As epmd -relaxed_command_check: allow KILL_REQ while nodes are
  // registered, and STOP_REQ at all. Both are only ever honoured from the
  // local host.
  bool relaxed_command_check = false;
  Logger logger;  // called on the server thread; may be empty
};

// One row of Server::registered().
struct RegisteredNode {
  NodeInfo node;
  uint32_t creation = 0;
  std::string peer;  // "address:port" of the registering connection
};

class Server {
 public:
  // Binds every address and starts serving on an internal thread.
  // Errc::io when an address cannot be bound, invalid_argument when it is
  // not an IP literal.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options);

  virtual ~Server() = default;  // stop() and wait()

  // The bound port (the real one when options.port was 0).
  virtual uint16_t port() const = 0;
  // Snapshot of the registered nodes, sorted by name.
  virtual std::vector<RegisteredNode> registered() const = 0;
  // Closes the listeners and every connection; returns at once.
  virtual void stop() = 0;
  // Blocks until the server has stopped (after stop() or an honoured
  // KILL_REQ).
  virtual void wait() = 0;
  // Like wait(), bounded. True if the server has stopped.
  virtual bool wait_for(std::chrono::milliseconds timeout) = 0;
};

}  // namespace beamlink::epmd
