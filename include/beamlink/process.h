// beamlink/process.h - one process of a beamlink Node: a real pid with a
// mailbox, links, monitors and aliases, as an Erlang process has them.
//
// A Process is a move-only owning handle made by Node::spawn(). Destroying
// the handle (or calling exit()) ends the process: its links get an exit
// signal, its monitors fire, its registered name and aliases go away. The
// handle keeps the node runtime alive, so it may outlive the Node object;
// once the node stops every process is dead (alive() false, exit reason
// `shutdown`) and receives return nothing.
//
// Thread safety: every member may be called from any thread, and messages
// may be delivered by network threads while a user thread sends or
// receives. Receiving is meant for one consumer at a time: two threads
// receiving from the same process at once each get distinct messages but
// in no defined order.
//
// Erlang semantics kept:
//  * Messages from one sender to one receiver arrive in the order sent.
//  * receive_if is a selective receive: messages that do not match stay in
//    the mailbox, in order, for later receives.
//  * Links follow the OTP 23+ link protocol (LINK, UNLINK_ID/UNLINK_ID_ACK).
//    An exit signal with reason `normal` is ignored unless trapping; a
//    trapping process gets {'EXIT', From, Reason} messages instead of dying;
//    `kill` sent with exit_signal() cannot be trapped (the target dies with
//    `killed`).
//  * Monitors deliver {'DOWN', Ref, process, PidOrNameTuple, Reason}, with
//    reason noproc when the target does not exist and noconnection when its
//    node goes away.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "beamlink/term.h"

namespace beamlink {

namespace node {
class Runtime;
struct ProcessState;
}  // namespace node

// What became of a message handed to send(). Erlang's send never fails;
// these say what beamlink knows at once.
enum class SendResult {
  // Delivered to a local mailbox, queued for the peer's connection, or
  // waiting, in order, for the connection to come up.
  ok,
  // send_nosuspend only: the connection is busy (over its
  // dist_buf_busy_limit); nothing was sent (erlang:send_nosuspend's false).
  busy,
  // Not sent, and counted in NodeStats: an unknown local pid, name or
  // alias, no connection, or a connection that stayed busy for
  // busy_send_timeout (dropped_busy).
  dropped,
};

// "Wait forever" for receive timeouts.
inline constexpr std::chrono::milliseconds kInfinity = std::chrono::milliseconds::max();

class Process {
 public:
  using Match = std::function<bool(const Term&)>;
  // Called once with the next message, or nullopt on timeout or when the
  // process has exited. Runs on a node worker thread, never inline.
  using ReceiveHandler = std::move_only_function<void(std::optional<Term>)>;

  Process() = default;  // empty handle: valid() is false
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;  // ends the process it held before
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // exit(normal) if still alive

  bool valid() const { return state_ != nullptr; }
  // REQUIRES: valid()
  const Pid& pid() const;
  bool alive() const;
  // The reason it exited with; nullopt while alive.
  std::optional<Term> exit_reason() const;

  // ---- Mailbox ----
  // The oldest message, waiting up to `timeout`. nullopt on timeout or when
  // the process is dead and its mailbox empty.
  std::optional<Term> receive(std::chrono::milliseconds timeout = kInfinity);
  // The oldest message for which match returns true; others stay queued.
  std::optional<Term> receive_if(const Match& match, std::chrono::milliseconds timeout = kInfinity);
  // Asynchronous receive of the oldest message (see ReceiveHandler). At
  // most one async receive per process may be pending; a second one is
  // answered with nullopt at once. See beamlink/process_async.h for the
  // asio completion-token form (co_await with use_awaitable).
  void async_receive(std::chrono::milliseconds timeout, ReceiveHandler done);
  size_t mailbox_size() const;

  // ---- Messages (Pid ! Msg). Undeliverable messages are dropped and
  // counted in NodeStats, as Erlang drops them; the result says so.
  // Back-pressure: when the peer's connection is busy (more than
  // dist_buf_busy_limit bytes queued, see NodeOptions), send() on a user
  // thread waits until it drains (up to busy_send_timeout, then dropped);
  // on a node worker thread (a handler process) it queues on, up to a hard
  // cap. send_nosuspend never waits: SendResult::busy instead. ----
  SendResult send(const Pid& to, Term message);
  // {Name, Node} ! Msg; `node` may be this node.
  SendResult send(std::string_view name, std::string_view node, Term message);
  // A message to a process alias (ALIAS_SEND when remote).
  SendResult send_alias(const Reference& alias, Term message);
  // erlang:send_nosuspend: as send(), but a busy connection is not waited
  // for: SendResult::busy, and the message is not sent.
  SendResult send_nosuspend(const Pid& to, Term message);
  SendResult send_nosuspend(std::string_view name, std::string_view node, Term message);

  // ---- Links, monitors, exits ----
  void link(const Pid& other);
  void unlink(const Pid& other);
  Reference monitor(const Pid& target);
  // monitor(process, {Name, Node}); DOWN names the target as {Name, Node}.
  Reference monitor(std::string_view name, std::string_view node);
  // Removes the monitor and any DOWN message for it already queued
  // (demonitor(Ref, [flush])).
  void demonitor(const Reference& monitor_ref);
  void trap_exit(bool on);
  bool trapping_exits() const;
  // exit(To, Reason): an exit signal (EXIT2 when remote).
  void exit_signal(const Pid& to, Term reason);
  // This process exits with `reason`.
  void exit(Term reason);

  // ---- Aliases (OTP 24+) ----
  // A new reference that, while active, routes messages to this process.
  Reference alias();
  void unalias(const Reference& alias);

 private:
  friend class node::Runtime;
  Process(std::shared_ptr<node::Runtime> runtime, std::shared_ptr<node::ProcessState> state)
      : runtime_(std::move(runtime)), state_(std::move(state)) {}
  void release();

  std::shared_ptr<node::Runtime> runtime_;
  std::shared_ptr<node::ProcessState> state_;
};

}  // namespace beamlink
