// global_name_server: gen_server calls (names, locks, sync) and the
// monitors that remove names and locks of processes that die.
#include <algorithm>

#include "node/global/global_server.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {
const Term kGlobalResource = Term::atom("global");
}  // namespace

GlobalServer::~GlobalServer() {
  join_threads();
}

void GlobalServer::join_threads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(threads_mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
}

void GlobalServer::handle(Process& self, const Term& message) {
  if (auto call = parse_gen_call(message)) {
    on_call(self, *call);
  } else if (const Term* request = parse_gen_cast(message)) {
    on_cast(self, *request);
  } else {
    on_info(self, message);
  }
}

void GlobalServer::reply(Process& self, const GenCall& call, Term value) {
  Term message = gen_reply_message(call.tag, std::move(value));
  if (const Reference* alias = alias_of_tag(call.tag)) {
    self.send_alias(*alias, std::move(message));
  } else {
    self.send(call.from, std::move(message));
  }
}

void GlobalServer::on_call(Process& self, const GenCall& call) {
  const Term& req = call.request;
  const auto* t = req.get_if<Tuple>();
  const auto& e = t != nullptr ? t->elements : std::vector<Term>{};
  auto tag_is = [&](std::string_view name, size_t size) {
    return e.size() == size && e[0].is_atom(name);
  };
  if ((tag_is("register", 4) || tag_is("register_ext", 5)) && e[2].is<Pid>()) {
    insert_name(self, NameEntry{e[1], e[2].as<Pid>(), e[3]}, lock_still_set_for_pid(call.from));
    reply(self, call, atom("yes"));
  } else if (tag_is("unregister", 2)) {
    delete_name(self, e[1]);
    reply(self, call, atom("ok"));
  } else if (tag_is("set_lock", 2) && parse_lock_id(e[1])) {
    auto [resource, requester] = *parse_lock_id(e[1]);
    LockTable::SetOutcome outcome;
    {
      std::lock_guard lock(shared_->mu);
      outcome = shared_->locks.check(resource, requester, call.from);
    }
    if (outcome == LockTable::SetOutcome::needs_monitor) {
      Reference monitor = self.monitor(call.from);
      std::lock_guard lock(shared_->mu);
      shared_->locks.add(resource, requester, call.from, std::move(monitor));
    }
    reply(self, call, Term::boolean(outcome != LockTable::SetOutcome::refused));
  } else if (tag_is("del_lock", 2) && parse_lock_id(e[1])) {
    auto [resource, requester] = *parse_lock_id(e[1]);
    std::optional<Reference> monitor;
    {
      std::lock_guard lock(shared_->mu);
      monitor = shared_->locks.remove(resource, requester, call.from);
      if (monitor && resource == kGlobalResource && !shared_->locks.is_set(resource)) {
        global_lock_down_ = false;
      }
    }
    if (monitor) self.demonitor(*monitor);
    reply(self, call, atom("true"));
  } else if (req.is_atom("get_known")) {
    std::vector<std::string> nodes;
    for (const auto& [node, vsn] : known_list()) nodes.push_back(node);
    reply(self, call, node_list_term(nodes));
  } else if (req.is_atom("get_synced")) {
    reply(self, call, node_list_term({synced_.begin(), synced_.end()}));
  } else if (tag_is("sync", 2)) {
    sync_call(self, call, e[1]);
  } else if (req.is_atom("get_protocol_version")) {
    reply(self, call, Term(kProtocolVersion));
  } else if (req.is_atom("get_names_ext")) {
    reply(self, call, Term::nil());
  } else {
    dropped_++;  // as global.erl: unexpected calls get no reply
  }
}

void GlobalServer::insert_name(Process& self, const NameEntry& entry, bool lock_ok) {
  delete_name(self, entry.name);
  if (!lock_ok) return;  // the lock that covered this registration is gone
  Reference monitor = self.monitor(entry.pid);
  name_monitors_[Term(monitor)] = entry.name;
  std::lock_guard lock(shared_->mu);
  shared_->names[entry.name] = SharedState::Registration{entry, std::move(monitor)};
}

void GlobalServer::delete_name(Process& self, const Term& name) {
  std::optional<Reference> monitor;
  {
    std::lock_guard lock(shared_->mu);
    auto it = shared_->names.find(name);
    if (it == shared_->names.end()) return;
    monitor = it->second.monitor;
    shared_->names.erase(it);
  }
  name_monitors_.erase(Term(*monitor));
  self.demonitor(*monitor);
}

void GlobalServer::on_down(Process& self, const Term& ref) {
  if (auto it = name_monitors_.find(ref); it != name_monitors_.end()) {
    Term name = it->second;
    name_monitors_.erase(it);
    std::lock_guard lock(shared_->mu);
    auto n = shared_->names.find(name);
    if (n != shared_->names.end() && Term(n->second.monitor) == ref) shared_->names.erase(n);
  }
  if (const auto* r = ref.get_if<Reference>()) {
    std::lock_guard lock(shared_->mu);
    bool had_global = shared_->locks.is_set(kGlobalResource);
    if (shared_->locks.remove_monitor(*r) && had_global &&
        !shared_->locks.is_set(kGlobalResource)) {
      global_lock_down_ = true;
    }
  }
  (void)self;
}

bool GlobalServer::lock_still_set_for_pid(const Pid& from) const {
  std::lock_guard lock(shared_->mu);
  if (shared_->locks.is_set(kGlobalResource)) return shared_->locks.holds(kGlobalResource, from);
  return !global_lock_down_;
}

bool GlobalServer::lock_still_set_for_lock(const Term& extra_info) const {
  std::lock_guard lock(shared_->mu);
  auto requester = shared_->locks.requester(kGlobalResource);
  if (!requester) return !global_lock_down_;
  // ExtraInfo: [{vsn, V}, {lock, {global, LockReqId}}]
  const auto* items = proper_list(extra_info);
  if (items == nullptr) return false;
  for (const Term& item : *items) {
    const Tuple* kv = tuple_of(item, 2);
    if (kv == nullptr || !kv->elements[0].is_atom("lock")) continue;
    auto id = parse_lock_id(kv->elements[1]);
    return id && id->second == *requester;
  }
  return false;
}

void GlobalServer::sync_call(Process& self, const GenCall& call, const Term& nodes) {
  const auto* items = proper_list(nodes);
  if (items == nullptr) {
    dropped_++;
    return;
  }
  Syncer syncer{call, {}};
  for (const Term& n : *items) {
    const Atom* node = n.get_if<Atom>();
    if (node != nullptr && node->name != rt_->name() && !synced_.contains(node->name) &&
        up_.contains(node->name)) {
      syncer.waiting.insert(node->name);
    }
  }
  if (syncer.waiting.empty()) {
    reply(self, call, atom("ok"));
  } else {
    syncers_.push_back(std::move(syncer));
  }
}

void GlobalServer::notify_synced(Process& self, const std::string& node, bool down) {
  (void)down;
  for (auto it = syncers_.begin(); it != syncers_.end();) {
    it->waiting.erase(node);
    if (it->waiting.empty()) {
      reply(self, it->call, atom("ok"));
      it = syncers_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace beamlink::node::global
