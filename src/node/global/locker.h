// node/global/locker.h - global's "the_locker" for a beamlink node: takes
// the lock {global, sort([OurLocker, HisLocker])} over both partitions when
// a visible peer connects, so the name exchange runs under it.
//
// It behaves as global.erl's locker (protocol version 8): peers are added
// by {his_the_locker, ...}; it answers a peer's spontaneous
// {lock_set, Pid, true, Known, Tag} by locking our partition, and itself
// tries a pending peer after a short random wait (select_node): boss
// first, then us and the peer, then our known nodes. When both sides hold
// the lock it casts {lock_is_set, Node, Tag, LockId} to our server and
// keeps the lock until the server sends {cancel, Node, Tag, _}.
//
// Threading: runs on its own thread (every lock step is a blocking
// multi_call), reading messages from its own process. stop() ends it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/process.h"
#include "node/global/lock_ops.h"
#include "node/global/shared_state.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::global {

class Locker {
 public:
  Locker(std::shared_ptr<Runtime> runtime, std::shared_ptr<SharedState> shared, Process self);
  ~Locker() { stop(); }
  const Pid& pid() const { return pid_; }
  void start();
  void stop();

 private:
  struct Him {
    std::string node;
    Pid locker;
    Term my_tag;
    Term his_tag;
  };
  void run();
  void on_message(const Term& message);
  void spontaneous_lock_set(const Pid& his_locker, const std::optional<Term>& my_tag);
  void select_node();
  bool lock_nodes_safely(const Term& lock_id, const std::vector<std::string>& extra);
  void send_lock_set(bool is_set, const Pid& his_locker, const Term& his_tag);
  bool wait_answer(const Him& him, const Term& lock_id, const std::vector<std::string>& known1);
  void wait_cancel(const std::string& node, const Term& my_tag, const Term& lock_id,
                   const std::vector<std::string>& known);
  void remove_him(const std::string& node, const Term& tag);
  Term lock_id_with(const Pid& his_locker) const;
  std::chrono::milliseconds next_timeout();

  std::shared_ptr<Runtime> rt_;
  std::shared_ptr<SharedState> shared_;
  Process self_;
  Pid pid_;
  LockContext ctx_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<Him> others_;
  std::vector<std::string> known_;
  bool just_synced_ = false;
  unsigned failures_ = 0;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace beamlink::node::global
