// test_sink.h - a DistSink for tests: records every event, answers the
// liveness probe's {is_auth, Node} gen_call as net_kernel would, and plays a
// registered process "sink" that replies {reply, Term} to {FromPid, Term}.
// Thread safe; waits are bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dist/control_message.h"
#include "dist/distribution.h"

namespace beamlink::dist::testing {

class TestSink final : public DistSink {
 public:
  struct Message {
    std::shared_ptr<Connection> from;
    Term control;
    std::optional<Term> payload;
  };

  void connection_up(const std::shared_ptr<Connection>& connection) override {
    std::lock_guard lock(mutex_);
    ups_.push_back(connection);
    changed_.notify_all();
  }

  void deliver(const std::shared_ptr<Connection>& from, Term control,
               std::optional<Term> payload) override {
    const auto op = control_op(control);
    if (op == REG_SEND && payload) answer_registered(from, control, *payload);
    delivered.fetch_add(1, std::memory_order_relaxed);
    if (!record) return;
    std::lock_guard lock(mutex_);
    messages_.push_back({from, std::move(control), std::move(payload)});
    changed_.notify_all();
  }

  void connection_down(const std::shared_ptr<Connection>& connection,
                       const std::string& reason) override {
    std::lock_guard lock(mutex_);
    downs_.emplace_back(connection, reason);
    down_times_.push_back(std::chrono::steady_clock::now());
    changed_.notify_all();
  }

  // Waits until `predicate` (called with the lock held) is true.
  bool wait(const std::function<bool()>& predicate,
            std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, predicate);
  }
  // Waits until a message whose payload equals `payload` has arrived.
  bool wait_payload(const Term& payload,
                    std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return wait(
        [&] {
          for (const auto& m : messages_) {
            if (m.payload && *m.payload == payload) return true;
          }
          return false;
        },
        limit);
  }
  size_t ups() {
    std::lock_guard lock(mutex_);
    return ups_.size();
  }
  size_t downs() {
    std::lock_guard lock(mutex_);
    return downs_.size();
  }
  std::vector<std::pair<std::shared_ptr<Connection>, std::string>> down_events() {
    std::lock_guard lock(mutex_);
    return downs_;
  }
  std::vector<std::chrono::steady_clock::time_point> down_times() {
    std::lock_guard lock(mutex_);
    return down_times_;
  }
  std::vector<Message> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  size_t message_count() {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }
  size_t probes_answered() {
    std::lock_guard lock(mutex_);
    return probes_answered_;
  }
  // Unlocked accessors for use inside wait() predicates.
  size_t ups_locked() const { return ups_.size(); }
  size_t downs_locked() const { return downs_.size(); }
  const std::vector<std::pair<std::shared_ptr<Connection>, std::string>>& down_events_locked()
      const {
    return downs_;
  }
  const std::vector<Message>& messages_locked() const { return messages_; }

  bool answer_probes = true;
  bool record = true;  // false: only count deliveries (throughput tests)
  std::atomic<size_t> delivered{0};

 private:
  // {'$gen_call', {Pid, Tag}, {is_auth, _}} to net_kernel, and {Pid, T} to sink.
  void answer_registered(const std::shared_ptr<Connection>& from, const Term& control,
                         const Term& payload) {
    const Term* to = control.element(3);
    if (to == nullptr) return;
    if (to->is_atom("net_kernel") && answer_probes) {
      const Term* tag = payload.element(0);
      const Term* caller = payload.element(1);
      if (tag == nullptr || !tag->is_atom("$gen_call") || caller == nullptr) return;
      const Term* pid = caller->element(0);
      const Term* ref = caller->element(1);
      if (pid == nullptr || ref == nullptr) return;
      const Term reply = Term::tuple({*ref, Term::atom("yes")});
      from->send(Term::tuple({SEND, Term::atom(""), *pid}), &reply);
      std::lock_guard lock(mutex_);
      ++probes_answered_;
    } else if (to->is_atom("sink")) {
      const Term* pid = payload.element(0);
      const Term* body = payload.element(1);
      if (pid == nullptr || body == nullptr) return;
      const Term reply = Term::tuple({Term::atom("reply"), *body});
      from->send(Term::tuple({SEND, Term::atom(""), *pid}), &reply);
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Connection>> ups_;
  std::vector<std::pair<std::shared_ptr<Connection>, std::string>> downs_;
  std::vector<std::chrono::steady_clock::time_point> down_times_;
  std::vector<Message> messages_;
  size_t probes_answered_ = 0;
};

}  // namespace beamlink::dist::testing
