// Messages between processes, local and remote, and the connection map.
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

void Runtime::push_counted(const Ptr& target, Term message, std::atomic<uint64_t>& delivered,
                           std::atomic<uint64_t>& dropped) {
  Pushed pushed = target != nullptr ? push_result(target, std::move(message)) : Pushed::dead;
  if (pushed == Pushed::ok) {
    bump(delivered);
  } else if (pushed == Pushed::dead) {
    bump(dropped);
  }  // full: counted as dropped_mailbox_full
}

namespace {

// A local delivery's SendResult: push_counted counted a drop if `before`
// moved.
SendResult local_result(uint64_t before, const std::atomic<uint64_t>& dropped) {
  return dropped.load(std::memory_order_relaxed) == before ? SendResult::ok : SendResult::dropped;
}

}  // namespace

SendResult Runtime::send(const Pid& from, const Pid& to, Term message, bool has_sender,
                         bool nosuspend) {
  if (to.node.name == name_) {
    const uint64_t before = counters_.dropped_unknown_pid.load(std::memory_order_relaxed);
    push_counted(to.creation == creation_ ? table_->find(to) : nullptr, std::move(message),
                 counters_.local_messages, counters_.dropped_unknown_pid);
    return local_result(before, counters_.dropped_unknown_pid);
  }
  bump(counters_.messages_sent);
  const auto mode = send_mode(nosuspend);
  if (auto sent = send_direct(to.node.name, [&](dist::Connection& conn) {
        return conn.submit_send(from, to, has_sender, message, mode);
      })) {
    return *sent;
  }
  Term control = has_sender ? tuple(op::SEND_SENDER, from, to) : tuple(op::SEND, atom(""), to);
  return route(
      to.node.name, std::move(control), std::move(message),
      [this] { bump(counters_.dropped_no_connection); }, Connect::yes, nosuspend);
}

SendResult Runtime::send_named(const Pid& from, std::string_view name, std::string_view node,
                               Term message, bool nosuspend) {
  if (node == name_) {
    const uint64_t before = counters_.dropped_unknown_name.load(std::memory_order_relaxed);
    push_counted(table_->whereis(name), std::move(message), counters_.local_messages,
                 counters_.dropped_unknown_name);
    return local_result(before, counters_.dropped_unknown_name);
  }
  bump(counters_.messages_sent);
  const auto mode = send_mode(nosuspend);
  if (auto sent = send_direct(node, [&](dist::Connection& conn) {
        return conn.submit_reg_send(from, Atom(name), message, mode);
      })) {
    return *sent;
  }
  return route(
      node, tuple(op::REG_SEND, from, atom(""), atom(name)), std::move(message),
      [this] { bump(counters_.dropped_no_connection); }, Connect::yes, nosuspend);
}

SendResult Runtime::send_alias(const Pid& from, const Reference& alias, Term message) {
  if (alias.node.name == name_) {
    const uint64_t before = counters_.dropped_unknown_alias.load(std::memory_order_relaxed);
    push_counted(alias.creation == creation_ ? table_->resolve_alias(alias) : nullptr,
                 std::move(message), counters_.local_messages, counters_.dropped_unknown_alias);
    return local_result(before, counters_.dropped_unknown_alias);
  }
  bump(counters_.messages_sent);
  return route(alias.node.name, tuple(op::ALIAS_SEND, from, alias), std::move(message),
               [this] { bump(counters_.dropped_no_connection); });
}

std::shared_ptr<dist::Connection> Runtime::connection(std::string_view node) const {
  std::shared_lock lock(connections_mu_);
  auto it = connections_.find(node);
  return it == connections_.end() ? nullptr : it->second;
}

// A node worker must stay responsive (it runs net_kernel, which answers
// peers' liveness probes): it queues past the busy limit instead of
// waiting. Any other thread is a user's, and waits as Erlang suspends.
dist::SendMode Runtime::send_mode(bool nosuspend) {
  if (nosuspend) return dist::SendMode::nosuspend;
  return io_.get_executor().running_in_this_thread() ? dist::SendMode::queue : dist::SendMode::wait;
}

template <class Submit>
std::optional<SendResult> Runtime::send_direct(std::string_view node, Submit&& submit) {
  // As route_ordered's fast path: only while nothing waits for a connection.
  if (stopped_ || pending_.any()) return std::nullopt;
  auto conn = connection(node);
  if (conn == nullptr) return std::nullopt;
  return send_result(submit(*conn));
}

std::optional<SendResult> Runtime::send_on(const std::shared_ptr<dist::Connection>& conn,
                                           const Term& control, const std::optional<Term>& payload,
                                           dist::SendMode mode) {
  if (conn == nullptr) return std::nullopt;
  return send_result(conn->submit(control, payload ? &*payload : nullptr, mode));
}

std::optional<SendResult> Runtime::send_result(dist::SendStatus status) {
  switch (status) {
    case dist::SendStatus::ok:
      return SendResult::ok;
    case dist::SendStatus::closed:
      return std::nullopt;
    case dist::SendStatus::busy:
      bump(counters_.busy_refused);
      return SendResult::busy;
    case dist::SendStatus::timeout:
    case dist::SendStatus::overflow:
      bump(counters_.dropped_busy);
      return SendResult::dropped;
    case dist::SendStatus::invalid:
      return SendResult::dropped;  // logged by the connection
  }
  return SendResult::dropped;
}

bool Runtime::send_if_connected(std::string_view node, const Term& control, const Term* payload) {
  FailFn no_fail;
  SendResult result = SendResult::ok;
  return route_ordered(node, Term(control), payload ? std::optional<Term>(*payload) : std::nullopt,
                       no_fail, Connect::no, send_mode(false), result) != Routed::failed &&
         result == SendResult::ok;
}

SendResult Runtime::route(std::string_view node, Term control, std::optional<Term> payload,
                          FailFn on_fail, Connect connect, bool nosuspend) {
  SendResult result = SendResult::ok;
  if (route_ordered(node, std::move(control), std::move(payload), on_fail, connect,
                    send_mode(nosuspend), result) == Routed::failed) {
    if (on_fail) on_fail();
    return SendResult::dropped;
  }
  return result;
}

Runtime::Routed Runtime::route_ordered(std::string_view node, Term&& control,
                                       std::optional<Term>&& payload, FailFn& on_fail,
                                       Connect connect, dist::SendMode mode, SendResult& result) {
  if (stopped_ || node == name_) return Routed::failed;
  // Fast path: nothing is waiting for a connection anywhere.
  if (!pending_.any()) {
    auto conn = connection(node);
    if (auto sent = send_on(conn, control, payload, mode)) {
      result = *sent;
      return Routed::sent;
    }
    if (conn == nullptr && connect == Connect::no) return Routed::failed;
  }
  PendingSends::Item item{std::move(control), std::move(payload), std::move(on_fail)};
  auto give_back = [&] {
    on_fail = std::move(item.on_fail);
    return Routed::failed;
  };
  // Behind whatever is queued for the node (connecting, or being flushed).
  switch (pending_.push(node, item, false)) {
    case PendingSends::Push::queued:
      return Routed::queued;
    case PendingSends::Push::overflow:
      pending_overflow(node);
      return give_back();
    case PendingSends::Push::absent:
    case PendingSends::Push::created:
      break;
  }
  // No queue: everything routed to the node before was handed to a
  // connection. No lock is held here, so a sender may wait for a busy one.
  auto conn = connection(node);
  if (auto sent = send_on(conn, item.control, item.payload, mode)) {
    result = *sent;
    return Routed::sent;
  }
  if (connect == Connect::no) return give_back();
  switch (pending_.push(node, item, true)) {
    case PendingSends::Push::queued:
      return Routed::queued;  // another sender started the connect meanwhile
    case PendingSends::Push::overflow:
      pending_overflow(node);
      return give_back();
    case PendingSends::Push::absent:
    case PendingSends::Push::created:
      break;
  }
  // Not connected: connect, keeping this and later signals in order.
  std::string node_name(node);
  dist_->connect(node_name, [weak = weak_from_this(),
                             node_name](Result<std::shared_ptr<dist::Connection>> connected) {
    if (auto self = weak.lock()) self->connect_done(node_name, std::move(connected));
  });
  return Routed::queued;
}

void Runtime::pending_overflow(std::string_view node) {
  bump(counters_.dropped_pending_overflow);
  log(LogLevel::warning, "the queue of signals waiting for a connection to " + std::string(node) +
                             " is full: a signal was dropped");
}

// Hands the node's queue to the new connection in batches, with no lock
// held while sending; signals routed meanwhile join the queue and go in
// the next batch, and the queue goes away only when a take finds it empty.
void Runtime::connect_done(const std::string& node,
                           Result<std::shared_ptr<dist::Connection>> result) {
  if (!result) {
    log(LogLevel::info, "connect to " + node + " failed: " + result.error().to_string());
  }
  std::shared_ptr<dist::Connection> conn = result ? *result : nullptr;
  std::deque<PendingSends::Item> batch;
  while (pending_.take(node, batch)) {
    for (PendingSends::Item& item : batch) {
      // On a distribution thread: queue mode, never a wait (dist::SendMode).
      if (!send_on(conn, item.control, item.payload, dist::SendMode::queue) && item.on_fail) {
        guard_callback("a failed send's handler", [&] { item.on_fail(); });
      }
    }
    batch.clear();
  }
}

Result<void> Runtime::connect(std::string_view node) {
  if (node == name_) return {};
  if (stopped_) return fail(Errc::closed, "connect: the node " + name_ + " is stopped");
  if (connection(node) != nullptr) return {};
  auto connected = dist_->connect_sync(std::string(node));
  if (!connected) return std::unexpected(connected.error());
  return {};
}

void Runtime::connect_async(std::string_view node, std::function<void(Result<void>)> done) {
  Result<void> now;
  if (stopped_) {
    now = fail(Errc::closed, "connect: the node " + name_ + " is stopped");
  } else if (node != name_ && connection(node) == nullptr) {
    // The distribution layer answers on one of its threads, guarding the call.
    dist_->connect(std::string(node),
                   [done = std::move(done)](Result<std::shared_ptr<dist::Connection>> result) {
                     if (result) {
                       done({});
                     } else {
                       done(std::unexpected(result.error()));
                     }
                   });
    return;
  }
  guard_callback("a connect callback", [&] { done(std::move(now)); });
}

void Runtime::disconnect(std::string_view node) {
  if (stopped_) return;
  {
    std::unique_lock lock(connections_mu_);
    if (!connections_.contains(node)) return;
    disconnecting_.emplace(node);
  }
  dist_->disconnect(node);
}

std::vector<std::string> Runtime::nodes(NodeKind kind) const {
  std::vector<std::string> out;
  std::shared_lock lock(connections_mu_);
  for (const auto& [name, conn] : connections_) {
    bool hidden = conn->peer().hidden;
    if (kind == NodeKind::all || hidden == (kind == NodeKind::hidden)) out.push_back(name);
  }
  return out;
}

}  // namespace beamlink::node
