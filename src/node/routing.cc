// Messages between processes, local and remote, and the connection map.
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

void Runtime::push_counted(const Ptr& target, Term message, std::atomic<uint64_t>& delivered,
                           std::atomic<uint64_t>& dropped) {
  if (target != nullptr && push(target, std::move(message))) {
    bump(delivered);
  } else {
    bump(dropped);
  }
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
  Term control = has_sender ? tuple(op::SEND_SENDER, from, to) : tuple(op::SEND, atom(""), to);
  bump(counters_.messages_sent);
  return route(
      to.node.name, std::move(control), std::move(message),
      [this] { bump(counters_.dropped_no_connection); }, nosuspend);
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
  return route(
      node, tuple(op::REG_SEND, from, atom(""), atom(name)), std::move(message),
      [this] { bump(counters_.dropped_no_connection); }, nosuspend);
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

bool Runtime::send_if_connected(std::string_view node, const Term& control, const Term* payload) {
  auto conn = connection(node);
  return conn != nullptr &&
         conn->submit(control, payload, send_mode(false)) == dist::SendStatus::ok;
}

SendResult Runtime::route(std::string_view node, Term control, std::optional<Term> payload,
                          FailFn on_fail, bool nosuspend) {
  const dist::SendMode mode = send_mode(nosuspend);
  // What a connection did with the message; nullopt if it is closed (the
  // message then waits for a new one).
  auto send_now = [&](const std::shared_ptr<dist::Connection>& conn,
                      dist::SendMode with) -> std::optional<SendResult> {
    if (conn == nullptr) return std::nullopt;
    switch (conn->submit(control, payload ? &*payload : nullptr, with)) {
      case dist::SendStatus::ok:
        return SendResult::ok;
      case dist::SendStatus::closed:
        return std::nullopt;
      case dist::SendStatus::busy:
        if (with != mode) return std::nullopt;  // see the locked path below
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
  };
  if (stopped_ || node == name_) {
    if (on_fail) on_fail();
    return SendResult::dropped;
  }
  // Fast path: nothing is waiting for a connection anywhere.
  if (pending_nodes_.load(std::memory_order_acquire) == 0) {
    if (auto sent = send_now(connection(node), mode)) return *sent;
  }

  std::unique_lock lock(pending_mu_);
  if (auto it = pending_.find(node); it != pending_.end()) {
    it->second.push_back({std::move(control), std::move(payload), std::move(on_fail)});
    return SendResult::ok;
  }
  // Never wait for a busy connection with pending_mu_ held: try without
  // waiting, and wait (in `mode`) after letting go of the lock.
  auto conn = connection(node);
  if (auto sent = send_now(conn, dist::SendMode::nosuspend)) return *sent;
  if (conn != nullptr && !conn->closed()) {
    lock.unlock();
    if (auto sent = send_now(conn, mode)) return *sent;
    if (on_fail) on_fail();  // closed meanwhile
    return SendResult::dropped;
  }
  // Not connected: connect, keeping this and later messages in order.
  std::string node_name(node);
  pending_[node_name].push_back({std::move(control), std::move(payload), std::move(on_fail)});
  pending_nodes_.fetch_add(1, std::memory_order_release);
  lock.unlock();
  dist_->connect(node_name, [weak = weak_from_this(),
                             node_name](Result<std::shared_ptr<dist::Connection>> result) {
    if (auto self = weak.lock()) self->connect_done(node_name, std::move(result));
  });
  return SendResult::ok;
}

void Runtime::connect_done(const std::string& node,
                           Result<std::shared_ptr<dist::Connection>> result) {
  std::vector<FailFn> failed;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(node);
    if (it == pending_.end()) return;
    for (PendingSend& message : it->second) {
      bool sent = result && *result != nullptr &&
                  (*result)->send(message.control, message.payload ? &*message.payload : nullptr);
      if (!sent && message.on_fail) failed.push_back(std::move(message.on_fail));
    }
    pending_.erase(it);
    pending_nodes_.fetch_sub(1, std::memory_order_release);
  }
  if (!result) {
    log(LogLevel::info, "connect to " + node + " failed: " + result.error().to_string());
  }
  for (FailFn& fn : failed) fn();
}

Result<void> Runtime::connect(std::string_view node) {
  if (node == name_) return {};
  if (stopped_) return fail(Errc::closed, "connect: the node " + name_ + " is stopped");
  if (connection(node) != nullptr) return {};
  auto connected = dist_->connect_sync(std::string(node));
  if (!connected) return std::unexpected(connected.error());
  return {};
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
