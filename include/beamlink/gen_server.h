// beamlink/gen_server.h - the gen_server protocol from and to C++: calls and
// casts to any gen_server (Erlang, Elixir or C++), and GenServer, a server
// written in C++ that Erlang and Elixir call as one of their own.
//
// Calls (Node::call) work as OTP 24+'s gen:call: the caller monitors the
// target and makes an alias, sends {'$gen_call', {Caller, [alias | Alias]},
// Request} and waits for {[alias | Alias], Reply} or the monitor's DOWN. On
// a timeout the alias is removed and the monitor flushed before returning,
// so a reply that comes later is dropped by the runtime, never queued in the
// caller's mailbox. A reply that raced the timeout is still returned, as OTP
// does. Errors are CallError values (CallFailure says which), never
// exceptions.
//
// Casts send {'$gen_cast', Request} and never fail (as gen_server:cast).
//
// A GenServer (Node::start_server) is a handler process: its callbacks run
// one message at a time on a node worker thread, so the object's state
// needs no lock when only callbacks touch it. It answers:
//  * {'$gen_call', From, Req}  -> handle_call (reply now, or keep the From
//    and answer later with reply(from, value) from any thread);
//  * {'$gen_cast', Req}        -> handle_cast;
//  * {system, From, Req} from sys: get_state (state()), get_status (OTP's
//    shape for a gen_server), {terminate, Reason} (replies ok, then exits);
//    anything else is answered {error, {unknown_system_msg, Req}};
//  * any other message         -> handle_info.
// A C++ exception escaping a callback makes the process exit with
// {cpp_exception, <<"what()">>} (terminate() is called first); callers get
// that exit as from a crashed gen_server. The node logs and counts it
// (GenServerStats::crashes) and lives on.
//
// Known gap: a reply delivered at the very moment of the timeout (its
// alias looked up just before the removal, queued just after the final
// check) can still land in a long-lived caller's mailbox; the window is the
// few instructions between the runtime's alias lookup and its push. OTP
// closes it by signal order. Node::call without a process has no such gap
// (its temporary caller ends with the call).
//
// Thread safety: call, cast and reply may be used from any thread. A call
// blocks its thread until the answer; from inside a handler process (a
// GenServer callback included) it holds a node worker thread meanwhile, so
// with NodeOptions::worker_threads == 1 a call from a handler to a handler
// process of the same node cannot be served until it times out. There,
// use Node::call_async (no thread waits; the outcome comes to a callback)
// and, in a GenServer, keep the From and reply(from, ...) from it.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "beamlink/term.h"

namespace beamlink {

namespace node {
class Runtime;
struct GenServerAccess;
}  // namespace node

// Where a call or cast goes: a pid, a name registered on this node, {Name,
// Node} (Node may be this node) or {global, Name}.
struct ServerRef {
  enum class Kind { pid, name, global };
  Kind kind = Kind::name;
  Pid pid;
  std::string name;
  std::string node;  // Kind::name: empty for this node

  ServerRef(const Pid& p) : kind(Kind::pid), pid(p) {}  // NOLINT: implicit
  static ServerRef local(std::string name) { return ServerRef(Kind::name, std::move(name), ""); }
  static ServerRef remote(std::string name, std::string node) {
    return ServerRef(Kind::name, std::move(name), std::move(node));
  }
  static ServerRef global(std::string name) { return ServerRef(Kind::global, std::move(name), ""); }
  // As OTP would name it: Pid, Name, {Name, Node} or {global, Name}.
  Term to_term() const;

 private:
  ServerRef(Kind k, std::string n, std::string nd)
      : kind(k), name(std::move(n)), node(std::move(nd)) {}
};

enum class CallFailure {
  timeout,       // no reply in time (gen:call exits with `timeout`)
  noproc,        // no such process or name
  noconnection,  // the server's node could not be reached or went away
  exited,        // the server exited before replying; reason says why
  calling_self,  // the destination is the calling process
  stopped,       // this node stopped during the call
};

struct CallError {
  CallFailure kind = CallFailure::timeout;
  // What gen:call would exit with: timeout, noproc, {nodedown, Node},
  // calling_self, or the server's exit reason.
  Term reason;
  std::string message;  // for logs and CLI output, says which server

  std::string to_string() const { return message; }
};

using CallReply = std::expected<Term, CallError>;
// Node::call_async's completion: runs once, on a node worker thread.
using CallCallback = std::move_only_function<void(CallReply)>;

std::string_view call_failure_name(CallFailure kind);

// The caller of a gen_server call: {Pid, Tag} as it came in. Copyable;
// reply(from, ...) may be used from any thread, any number of times (only
// the first answer is awaited by the caller).
class From {
 public:
  From() = default;
  const Pid& pid() const { return pid_; }
  const Term& tag() const { return tag_; }
  Term to_term() const { return Term::tuple({Term(pid_), tag_}); }
  bool valid() const { return !runtime_.expired(); }

 private:
  friend struct node::GenServerAccess;
  std::weak_ptr<node::Runtime> runtime_;
  Pid server_;  // the replying process
  Pid pid_;
  Term tag_;
};

// Answers a call whose handle_call returned Reply::later(). Does nothing if
// the node is gone.
void reply(const From& from, Term value);

// What handle_call answers.
class Reply {
 public:
  static Reply now(Term value) { return Reply(std::move(value)); }
  // The server keeps the From and calls reply(from, value) later.
  static Reply later() { return Reply(std::nullopt); }
  Reply(Term value) : value_(std::move(value)) {}  // NOLINT: implicit, as now()
  const std::optional<Term>& value() const { return value_; }

 private:
  explicit Reply(std::optional<Term> value) : value_(std::move(value)) {}
  std::optional<Term> value_;
};

class GenServer {
 public:
  virtual ~GenServer() = default;

  // Called once by start_server, on its thread, before the server can get
  // any message (no one knows its pid or name yet). An exception fails
  // start_server and ends the process.
  virtual void init(const Pid& self) { (void)self; }
  virtual Reply handle_call(const Term& request, const From& from) = 0;
  virtual void handle_cast(const Term& request) { (void)request; }
  virtual void handle_info(const Term& message) { (void)message; }
  // Called when a callback threw or asked to stop; not when the process is
  // killed by an exit signal or the node stops.
  virtual void terminate(const Term& reason) { (void)reason; }
  // What sys:get_state/1 returns.
  virtual Term state() const { return Term::atom("undefined"); }

  // This server's pid, once started.
  const Pid& self() const { return self_; }

 protected:
  // Ends the server with `reason` after the current callback returns (a
  // reply it made is sent first); terminate(reason) is called.
  void stop(Term reason) { stop_reason_ = std::move(reason); }

 private:
  friend struct node::GenServerAccess;
  Pid self_;
  std::optional<Term> stop_reason_;
};

struct ServerOptions {
  std::string register_as{};  // empty: unregistered
  bool trap_exit = false;     // {'EXIT', ...} messages go to handle_info
};

struct GenServerStats {
  uint64_t calls_made = 0;      // by this node's call()
  uint64_t calls_answered = 0;  // at once (not Reply::later) by this node's C++ servers
  uint64_t casts_received = 0;
  uint64_t crashes = 0;  // C++ servers ended by an exception
};

}  // namespace beamlink
