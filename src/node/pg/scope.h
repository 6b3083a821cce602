// node/pg/scope.h - one running pg scope: a handler process registered
// under the scope's name that feeds its mailbox to a ScopeState, and the
// public ProcessGroups API over the same state.
//
// Thread safety: the state is guarded by one mutex, taken by the handler
// for each message and by every API call. Sends and monitors happen with
// the mutex held (they never block and never call back into the scope), so
// the peers see changes in the order they were made. User callbacks never
// run under it: a callback subscription is a helper process of its own
// that receives the {Ref, join|leave, Group, Pids} messages.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "beamlink/pg.h"
#include "node/pg/scope_state.h"
#include "node/runtime.h"

namespace beamlink::node::pg {

class Scope final : public ProcessGroups, private ScopeIo {
 public:
  // Starts the scope process registered as `name`, monitoring nodes, and
  // discovers the scope on every connected visible node.
  static Result<std::shared_ptr<Scope>> start(const std::shared_ptr<Runtime>& runtime,
                                              std::string name);
  explicit Scope(std::shared_ptr<Runtime> runtime, std::string name);  // use start()
  ~Scope() override;

  // Ends the scope process; later calls fail with Errc::closed.
  void stop();

  const std::string& scope() const override { return name_; }
  Result<void> join(const Term& group, const Pid& pid) override;
  Result<void> join(const Term& group, const std::vector<Pid>& pids) override;
  Result<void> leave(const Term& group, const Pid& pid) override;
  Result<void> leave(const Term& group, const std::vector<Pid>& pids) override;
  std::vector<Pid> get_members(const Term& group) const override;
  std::vector<Pid> get_local_members(const Term& group) const override;
  std::vector<Term> which_groups() const override;
  std::vector<Term> which_local_groups() const override;
  Result<GroupSubscription> monitor(const Term& group, const Pid& subscriber) override;
  Result<GroupSubscription> monitor(const Term& group, GroupEventHandler handler) override;
  Result<ScopeSubscription> monitor_scope(const Pid& subscriber) override;
  Result<ScopeSubscription> monitor_scope(GroupEventHandler handler) override;
  bool demonitor(const Reference& ref) override;

  // Messages the scope did not understand, and exceptions of callbacks.
  uint64_t dropped() const;
  uint64_t callback_errors() const;

 private:
  // ScopeIo
  Reference monitor_process(const Pid& target) override;
  void demonitor_process(const Reference& ref) override;
  void send(const Pid& to, Term message) override;
  void send_to_scope(const std::string& node, Term message) override;
  void send_noconnect(const std::string& node, const Term& control, const Term& message);

  void on_message(const Term& message);
  bool handle_locked(const Term& message);
  Result<void> change(const Term& group, const std::vector<Pid>& pids, bool single, bool joining);
  Result<Runtime::Ptr> callback_process(GroupEventHandler handler);
  // A callback process subscribed by `subscribe(its pid)` under mu_.
  template <class Subscribe>
  auto subscribe_callback(GroupEventHandler handler, Subscribe subscribe)
      -> Result<decltype(subscribe(Pid{}))>;

  std::shared_ptr<Runtime> rt_;
  const std::string name_;
  mutable std::mutex mu_;
  Runtime::Ptr process_;               // guarded by mu_ (set once in start)
  std::unique_ptr<ScopeState> state_;  // guarded by mu_
  bool stopped_ = false;               // guarded by mu_
  std::unordered_map<Reference, Runtime::Ptr, ReferenceHash> callbacks_;  // guarded by mu_
  std::atomic<uint64_t> dropped_{0};
  std::shared_ptr<std::atomic<uint64_t>> callback_errors_ =
      std::make_shared<std::atomic<uint64_t>>(0);
};

}  // namespace beamlink::node::pg
