#include "node/global/locker.h"

#include <algorithm>

#include "node/global/messages.h"
#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kMaxWait = std::chrono::seconds(60);  // a peer that never answers
// A peer that dropped our lock_set (its connect with us restarted): give up
// and try again later rather than hold every other connect back.
constexpr auto kMaxAnswerWait = std::chrono::seconds(5);
}  // namespace

Locker::Locker(std::shared_ptr<Runtime> runtime, std::shared_ptr<SharedState> shared, Process self)
    : rt_(std::move(runtime)),
      shared_(std::move(shared)),
      self_(std::move(self)),
      pid_(self_.pid()),
      ctx_{self_, *shared_, rt_->name(), &stopping_, reachable_from(rt_)} {}

void Locker::start() {
  known_ = shared_->known_nodes();
  thread_ = std::thread([this] { run(); });
}

void Locker::stop() {
  stopping_ = true;
  if (self_.valid()) self_.exit(Term::atom("shutdown"));  // ends a wait at once
  if (thread_.joinable()) thread_.join();
}

Term Locker::lock_id_with(const Pid& his_locker) const {
  Term a(pid_);
  Term b(his_locker);
  if (b < a) std::swap(a, b);
  return tuple(atom("global"), Term::list({a, b}));
}

std::chrono::milliseconds Locker::next_timeout() {
  // Nothing to lock with: sleep until a message (as OTP's locker waits with
  // `after infinity`); stop() ends the wait with an exit signal. A poll here
  // cost every idle node ten wake-ups a second.
  if (others_.empty()) return kInfinity;
  if (just_synced_) return std::chrono::milliseconds(0);
  // First tries come soon (we start the lock rather than wait for the
  // peer's 1-3 s timer); after failures, global's spacing.
  // Not at once: the peer may not have handled our init_connect yet.
  if (failures_ == 0) return std::chrono::milliseconds(std::uniform_int_distribution(30, 80)(rng_));
  auto base = known_.empty() ? 200 : std::min(1000 + 100 * static_cast<int>(known_.size()), 3000);
  return std::chrono::milliseconds(std::uniform_int_distribution(base / 2, base)(rng_));
}

void Locker::run() {
  while (!stopping_ && self_.alive()) {
    try {
      auto timeout = next_timeout();
      just_synced_ = false;
      std::optional<Term> message = self_.receive(timeout);
      if (message) {
        on_message(*message);
      } else if (!others_.empty()) {
        bool global_locked;
        {
          std::lock_guard lock(shared_->mu);
          global_locked = shared_->locks.is_set(Term::atom("global"));
        }
        if (!global_locked) select_node();
      }
    } catch (const std::exception& e) {
      rt_->log(LogLevel::error, std::string("global locker: ") + e.what());
    }
  }
}

void Locker::on_message(const Term& message) {
  const auto* t = message.get_if<Tuple>();
  if (t == nullptr || t->elements.empty()) return;
  const auto& e = t->elements;
  if (e.size() == 5 && e[0].is_atom("his_the_locker") && e[1].is<Pid>()) {
    const Pid& his = e[1].as<Pid>();
    others_.push_back(Him{his.node.name, his, e[4], e[3]});
  } else if (e.size() == 4 && e[0].is_atom("cancel") && e[1].is<Atom>()) {
    if (!e[2].is_atom("undefined")) remove_him(e[1].as<Atom>().name, e[2]);
  } else if ((e.size() == 5 || e.size() == 4) && e[0].is_atom("lock_set") && e[1].is<Pid>()) {
    if (e[2].is_atom("true")) {
      spontaneous_lock_set(e[1].as<Pid>(),
                           e.size() == 5 ? std::optional<Term>(e[4]) : std::nullopt);
    }
  } else if (e.size() == 2 && e[0].is_atom("add_to_known")) {
    if (const auto* nodes = proper_list(e[1])) {
      for (const Term& n : *nodes) {
        if (const Atom* a = n.get_if<Atom>()) known_.push_back(a->name);
      }
    }
  } else if (e.size() == 2 && e[0].is_atom("remove_from_known") && e[1].is<Atom>()) {
    auto it = std::ranges::find(known_, e[1].as<Atom>().name);
    if (it != known_.end()) known_.erase(it);
  }
}

void Locker::remove_him(const std::string& node, const Term& tag) {
  auto it = std::ranges::find_if(others_,
                                 [&](const Him& h) { return h.node == node && h.my_tag == tag; });
  if (it != others_.end()) others_.erase(it);
}

void Locker::send_lock_set(bool is_set, const Pid& his_locker, const Term& his_tag) {
  std::vector<Term> known;
  for (const std::string& n : known_) known.push_back(atom(n));
  // Only over a connection that is up (see GlobalServer::cast_to).
  Term message = gen_cast(
      tuple(atom("lock_set"), pid_, Term::boolean(is_set), Term::list(std::move(known)), his_tag));
  bool sent = rt_->send_if_connected(
      his_locker.node.name, tuple(op::REG_SEND, pid_, atom(""), atom("global_name_server")),
      &message);
  if (sent) bump(rt_->counters().messages_sent);
}

void Locker::spontaneous_lock_set(const Pid& his_locker, const std::optional<Term>& tag) {
  auto it = std::ranges::find_if(others_, [&](const Him& h) {
    return h.node == his_locker.node.name && (!tag || h.my_tag == *tag);
  });
  if (it == others_.end()) {
    send_lock_set(false, his_locker, Term(0));
    return;
  }
  Him him = *it;
  Term lock_id = lock_id_with(his_locker);
  bool is_set = lock_nodes_safely(lock_id, {});
  send_lock_set(is_set, his_locker, him.his_tag);
  if (!is_set) return;
  std::vector<std::string> known2 = known_;
  known2.push_back(rt_->name());
  self_.send("global_name_server", rt_->name(),
             gen_cast(tuple(atom("lock_is_set"), atom(him.node), him.my_tag, lock_id)));
  wait_cancel(him.node, him.my_tag, lock_id, known2);
  just_synced_ = true;
  failures_ = 0;
  remove_him(him.node, him.my_tag);
}

bool Locker::lock_nodes_safely(const Term& lock_id, const std::vector<std::string>& extra) {
  std::vector<std::string> all = known_;
  all.push_back(rt_->name());
  std::string boss = *std::ranges::max_element(all);
  if (boss != rt_->name()) {
    const Tuple& id = lock_id.as<Tuple>();
    std::lock_guard lock(shared_->mu);
    if (!shared_->locks.can_set(id.elements[0], id.elements[1])) return false;
  }
  if (!set_lock_on_nodes(ctx_, lock_id, {boss})) return false;
  std::vector<std::string> second{rt_->name()};
  second.insert(second.end(), extra.begin(), extra.end());
  std::erase(second, boss);
  if (!set_lock_on_nodes(ctx_, lock_id, second)) {
    del_lock(ctx_, lock_id, {boss});
    return false;
  }
  std::vector<std::string> rest = known_;
  std::erase(rest, boss);
  if (!set_lock_on_nodes(ctx_, lock_id, rest)) {
    second.push_back(boss);
    del_lock(ctx_, lock_id, second);
    return false;
  }
  return true;
}

void Locker::select_node() {
  std::erase_if(others_,
                [&](const Him& h) { return std::ranges::find(known_, h.node) != known_.end(); });
  if (others_.empty()) return;
  Him him = others_[std::uniform_int_distribution<size_t>(0, others_.size() - 1)(rng_)];
  Term lock_id = lock_id_with(him.locker);
  if (!lock_nodes_safely(lock_id, {him.node})) {
    failures_++;
    return;
  }
  std::vector<std::string> known1{rt_->name(), him.node};
  known1.insert(known1.end(), known_.begin(), known_.end());
  send_lock_set(true, him.locker, him.his_tag);
  if (wait_answer(him, lock_id, known1)) {
    failures_ = 0;
  } else {
    failures_++;
  }
}

bool Locker::wait_answer(const Him& him, const Term& lock_id,
                         const std::vector<std::string>& known1) {
  auto deadline = std::chrono::steady_clock::now() + kMaxAnswerWait;
  auto wanted = [&](const Term& m) {
    const auto* t = m.get_if<Tuple>();
    if (t == nullptr || t->elements.size() < 4) return false;
    const auto& e = t->elements;
    if (e[0].is_atom("lock_set") && e[1].is<Pid>()) return e[1].as<Pid>().node.name == him.node;
    return e[0].is_atom("cancel") && e.size() == 4 && e[1].is_atom(him.node) && e[2] == him.my_tag;
  };
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    std::optional<Term> m = self_.receive_if(wanted, kPoll);
    if (!m) continue;
    const auto& e = m->as<Tuple>().elements;
    if (e[0].is_atom("cancel")) {
      delete_global_lock(ctx_, lock_id, known1);
      remove_him(him.node, him.my_tag);
      return false;
    }
    if (e.size() == 5 && e[4] == Term(0) && !e[2].is_atom("true")) {
      delete_global_lock(ctx_, lock_id, known1);  // the peer does not know us yet
      return false;
    }
    bool current = e.size() == 4 || e[4] == him.my_tag;
    if (!current) continue;  // an answer of an older attempt
    if (!e[2].is_atom("true")) {
      delete_global_lock(ctx_, lock_id, known1);
      return false;
    }
    self_.send("global_name_server", rt_->name(),
               gen_cast(tuple(atom("lock_is_set"), atom(him.node), him.my_tag, lock_id)));
    wait_cancel(him.node, him.my_tag, lock_id, known1);
    just_synced_ = true;
    remove_him(him.node, him.my_tag);
    return true;
  }
  delete_global_lock(ctx_, lock_id, known1);
  return false;
}

void Locker::wait_cancel(const std::string& node, const Term& my_tag, const Term& lock_id,
                         const std::vector<std::string>& known) {
  auto deadline = std::chrono::steady_clock::now() + kMaxWait;
  auto wanted = [&](const Term& m) {
    const Tuple* t = tuple_of(m, 4);
    return t != nullptr && t->elements[0].is_atom("cancel") && t->elements[1].is_atom(node) &&
           t->elements[2] == my_tag;
  };
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    if (self_.receive_if(wanted, kPoll)) break;
  }
  delete_global_lock(ctx_, lock_id, known);
}

}  // namespace beamlink::node::global
