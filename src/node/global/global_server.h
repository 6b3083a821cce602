// node/global/global_server.h - beamlink's `global_name_server`: the
// process OTP 25's global talks to on every visible node.
//
// It answers the calls global:register_name/unregister_name/set_lock/
// del_lock/sync make (register, unregister, set_lock, del_lock, get_known,
// get_synced, sync, get_protocol_version, get_names_ext) and runs the
// connect protocol with each visible peer as global.erl does (protocol
// version 8): init_connect / init_connect_ack, lock negotiation through the
// lockers (lock_set forwarded to our Locker), exchange, resolved, new_nodes,
// in_sync, cancel_connect, and prevent_overlapping_partitions'
// lost_connection / remove_connection.
//
// Threading: handle() runs on a node worker, one message at a time (a
// handler process); it never waits on the network. Conflicts that need an
// rpc to another node are resolved on a short-lived thread that casts
// {exchange_ops, ...} back, as global's resolver process does. Names,
// locks and known nodes live in SharedState (written only here).
// Every message is untrusted: a shape that does not fit is counted in
// dropped() and ignored.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/process.h"
#include "beamlink/term.h"
#include "node/global/messages.h"
#include "node/global/resolution.h"
#include "node/global/shared_state.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::global {

class GlobalServer {
 public:
  GlobalServer(std::shared_ptr<Runtime> runtime, std::shared_ptr<SharedState> shared)
      : rt_(std::move(runtime)), shared_(std::move(shared)) {}
  ~GlobalServer();
  void set_pids(const Pid& self, const Pid& locker) {
    self_ = self;
    locker_ = locker;
  }
  void handle(Process& self, const Term& message);
  // Joins the resolver threads; call after the runtime stopped.
  void join_threads();
  uint64_t dropped() const { return dropped_.load(); }

 private:
  struct Session {  // global.erl's per-node process dictionary entries
    std::optional<Term> my_tag;
    std::optional<Term> his_tag;
    bool resolving = false;  // erl's resolvers list entry (tag = my_tag)
    int64_t prot_vsn = 0;
    std::optional<Term> pre_connect;  // {Vsn, InitMsg, HisTag}
    enum class Wait { none, lock_is_set, exchange } wait = Wait::none;
    std::vector<NameEntry> wait_names;
    std::optional<std::vector<Op>> saved_ops;
    struct Resolved {
      std::vector<std::pair<std::string, int64_t>> his_known;
      Term names_ext;
      std::vector<Op> his_resolved;
    };
    std::optional<Resolved> saved_resolved;
    std::optional<Term> lock_id;
  };

  // server_calls.cc
  void on_call(Process& self, const GenCall& call);
  void reply(Process& self, const GenCall& call, Term value);
  void insert_name(Process& self, const NameEntry& entry, bool lock_ok);
  void delete_name(Process& self, const Term& name);
  void on_down(Process& self, const Term& ref);
  bool lock_still_set_for_pid(const Pid& from) const;
  bool lock_still_set_for_lock(const Term& extra_info) const;
  void sync_call(Process& self, const GenCall& call, const Term& nodes);
  void notify_synced(Process& self, const std::string& node, bool down);

  // server_connect.cc
  void on_cast(Process& self, const Term& request);
  void on_info(Process& self, const Term& message);
  void nodeup(Process& self, const std::string& node);
  void nodedown(Process& self, const std::string& node, bool inform);
  void init_connect(Process& self, const std::string& node, int64_t vsn, const Term& his_tag,
                    const Term& init_msg);
  void restart_connect(Process& self, const std::string& node);
  void lock_is_set(Process& self, const std::string& node, const Term& lock_id);
  void exchange(Process& self, const std::string& node, std::vector<NameEntry> names);
  void exchange_ops(Process& self, const std::string& node, std::vector<Op> ops,
                    const std::vector<Op>& resolved);
  void resolved(Process& self, const std::string& node, Session::Resolved his);
  void new_nodes(Process& self, const std::string& from, const std::vector<Op>& ops,
                 const std::vector<std::pair<std::string, int64_t>>& nodes, const Term& extra_info);
  void do_ops(Process& self, const std::vector<Op>& ops, const Term& extra_info);
  std::vector<std::string> add_to_known(const std::vector<std::pair<std::string, int64_t>>& nodes);
  void sync_others(Process& self, const std::vector<std::string>& nodes);
  void cancel_locker(Process& self, const std::string& node, const std::optional<Term>& tag);
  void send_cancel_connect(Process& self, const std::string& node, const Term& his_tag);
  void reset(const std::string& node) { sessions_.erase(node); }
  void lost_connection(Process& self, const Tuple& msg);
  void inform_connection_loss(Process& self, const std::string& node);
  int64_t node_vsn(const std::string& node) const;
  std::vector<std::pair<std::string, int64_t>> known_list() const;
  void cast_to(Process& self, const std::string& node, Term request);
  void volatile_send(const std::string& node, const Term& message);
  void run_resolve(Process& self, const std::string& node, const Term& tag,
                   std::vector<NameEntry> names);

  std::shared_ptr<Runtime> rt_;
  std::shared_ptr<SharedState> shared_;
  Pid self_;
  Pid locker_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, int64_t> pending_;  // {pending, Node} => Vsn
  std::set<std::string> removing_;
  std::set<std::string> synced_;
  std::set<std::string> up_;            // visible peers with a connection now
  std::map<Term, Term> name_monitors_;  // monitor ref -> name
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> lost_seen_;
  struct Syncer {
    GenCall call;
    std::set<std::string> waiting;
  };
  std::vector<Syncer> syncers_;
  bool global_lock_down_ = false;
  int64_t next_tag_ = 1;
  int64_t next_op_id_ = 1;
  std::atomic<uint64_t> dropped_{0};
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
};

}  // namespace beamlink::node::global
