// beamlink::PubSub: Phoenix.PubSub's PG adapter over the public Node and
// ProcessGroups APIs (see beamlink/pubsub.h for the wire facts).
#include "beamlink/pubsub.h"

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "beamlink/node.h"
#include "beamlink/pg.h"

namespace beamlink {

namespace {

constexpr std::string_view kScope = "Elixir.Phoenix.PubSub";
constexpr std::string_view kDispatcher = "Elixir.Phoenix.PubSub";

std::string adapter_name(std::string_view name) {
  std::string full(name);
  if (!full.starts_with("Elixir.")) full = "Elixir." + full;
  return full + ".Adapter";
}

Term forward_to_local(std::string_view topic, Term message) {
  return Term::tuple({Term::atom("forward_to_local"), Term::binary(topic), std::move(message),
                      Term::atom(kDispatcher)});
}

// The subscribers of this node, shared with the worker handlers.
struct Subscribers {
  using Target = std::variant<PubSub::Handler, Pid>;
  std::mutex mu;
  std::map<std::string, std::map<uint64_t, Target>, std::less<>> by_topic;
  std::map<uint64_t, std::string> topic_of;
  uint64_t next_id = 1;
  std::atomic<uint64_t> callback_errors{0};

  uint64_t add(std::string_view topic, Target target) {
    std::lock_guard lock(mu);
    uint64_t id = next_id++;
    by_topic[std::string(topic)].emplace(id, std::move(target));
    topic_of.emplace(id, std::string(topic));
    return id;
  }
  bool remove(uint64_t id) {
    std::lock_guard lock(mu);
    auto it = topic_of.find(id);
    if (it == topic_of.end()) return false;
    auto subs = by_topic.find(it->second);
    subs->second.erase(id);
    if (subs->second.empty()) by_topic.erase(subs);
    topic_of.erase(it);
    return true;
  }
  // {forward_to_local, Topic, Message, Dispatcher}: Message to each
  // subscriber of Topic.
  void dispatch(Process& self, const Term& forward) {
    const Tuple* t = forward.get_if<Tuple>();
    if (t == nullptr || t->elements.size() != 4 || !t->elements[0].is_atom("forward_to_local")) {
      return;
    }
    const Binary* topic = t->elements[1].get_if<Binary>();
    if (topic == nullptr) return;
    std::vector<Target> targets;
    {
      std::lock_guard lock(mu);
      auto it = by_topic.find(topic->bytes.view());
      if (it == by_topic.end()) return;
      for (const auto& [id, target] : it->second) targets.push_back(target);
    }
    const Term& message = t->elements[2];
    for (const Target& target : targets) {
      if (const Pid* pid = std::get_if<Pid>(&target)) {
        self.send(*pid, message);
        continue;
      }
      try {
        std::get<PubSub::Handler>(target)(topic->bytes.view(), message);
      } catch (...) {
        callback_errors.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
};

class PubSubImpl final : public PubSub {
 public:
  PubSubImpl(Node& node, ProcessGroups& scope, std::vector<std::string> groups)
      : node_(node), scope_(scope), groups_(std::move(groups)) {}
  ~PubSubImpl() override { stop(); }

  Result<void> start_workers() {
    // The janitor monitors pid subscribers and drops their subscriptions
    // when they exit, as Phoenix's Registry does.
    auto janitor = node_.spawn_handler(
        [subs = subs_, watched = std::map<Term, uint64_t>()](Process& self, Term message) mutable {
          const Tuple* t = message.get_if<Tuple>();
          if (t == nullptr) return;
          const std::vector<Term>& e = t->elements;
          if (e.size() == 3 && e[0].is_atom("watch") && e[1].is<Pid>() && e[2].is<int64_t>()) {
            watched[Term(self.monitor(e[1].as<Pid>()))] = static_cast<uint64_t>(e[2].as<int64_t>());
          } else if (e.size() == 5 && e[0].is_atom("DOWN")) {
            if (auto it = watched.find(e[1]); it != watched.end()) {
              subs->remove(it->second);
              watched.erase(it);
            }
          }
        });
    if (!janitor) return std::unexpected(janitor.error());
    janitor_ = *janitor;
    for (const std::string& group : groups_) {
      SpawnOptions options;
      options.register_as = group;
      auto worker = node_.spawn_handler(
          [subs = subs_](Process& self, Term message) { subs->dispatch(self, message); }, options);
      if (!worker) return std::unexpected(worker.error());
      workers_.push_back(*worker);
      if (auto joined = scope_.join(Term::atom(group), *worker); !joined) return joined;
    }
    return {};
  }

  Result<uint64_t> subscribe(std::string_view topic, Handler handler) override {
    if (!handler) return fail(Errc::invalid_argument, "pubsub: empty handler");
    return subs_->add(topic, std::move(handler));
  }
  Result<uint64_t> subscribe(std::string_view topic, const Pid& local_pid) override {
    if (!node_.alive(local_pid)) {
      return fail(Errc::invalid_argument, "pubsub: not a live local process");
    }
    uint64_t id = subs_->add(topic, local_pid);
    node_.send(*janitor_, Term::tuple({Term::atom("watch"), local_pid, Term(id)}));
    return id;
  }
  bool unsubscribe(uint64_t id) override { return subs_->remove(id); }
  size_t local_subscribers(std::string_view topic) const override {
    std::lock_guard lock(subs_->mu);
    auto it = subs_->by_topic.find(topic);
    return it == subs_->by_topic.end() ? 0 : it->second.size();
  }

  Result<void> broadcast(std::string_view topic, Term message) override {
    if (stopped_) return fail(Errc::closed, "pubsub: stopped");
    // One group per caller, as Phoenix picks one by the sender: one
    // thread's broadcasts stay in order.
    size_t slot = std::hash<std::thread::id>{}(std::this_thread::get_id()) % groups_.size();
    Term forward = forward_to_local(topic, message);
    for (const Pid& pid : scope_.get_members(Term::atom(groups_[slot]))) {
      if (pid.node.name != node_.name()) node_.send(pid, forward);
    }
    return local_broadcast(topic, std::move(message));
  }
  Result<void> local_broadcast(std::string_view topic, Term message) override {
    if (stopped_) return fail(Errc::closed, "pubsub: stopped");
    node_.send(workers_.front(), forward_to_local(topic, std::move(message)));
    return {};
  }
  Result<void> direct_broadcast(std::string_view node, std::string_view topic,
                                Term message) override {
    if (stopped_) return fail(Errc::closed, "pubsub: stopped");
    if (node == node_.name()) return local_broadcast(topic, std::move(message));
    node_.send(groups_.front(), node, forward_to_local(topic, std::move(message)));
    return {};
  }

  const std::vector<std::string>& groups() const override { return groups_; }
  uint64_t callback_errors() const override {
    return subs_->callback_errors.load(std::memory_order_relaxed);
  }
  void stop() override {
    if (stopped_.exchange(true)) return;
    for (const Pid& worker : workers_) node_.exit(worker, Term::atom("kill"));
    if (janitor_) node_.exit(*janitor_, Term::atom("kill"));
  }

 private:
  Node& node_;
  ProcessGroups& scope_;
  std::vector<std::string> groups_;
  std::vector<Pid> workers_;
  std::optional<Pid> janitor_;
  std::shared_ptr<Subscribers> subs_ = std::make_shared<Subscribers>();
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<PubSub>> PubSub::start(Node& node, std::string_view name,
                                              unsigned pool_size) {
  if (name.empty() || pool_size == 0 || pool_size > 1024) {
    return fail(Errc::invalid_argument, "pubsub: a name and a pool size of 1..1024 are needed");
  }
  auto scope = node.pg(kScope);
  if (!scope) return std::unexpected(scope.error());
  std::string adapter = adapter_name(name);
  std::vector<std::string> groups{adapter};
  for (unsigned n = 2; n <= pool_size; ++n) groups.push_back(adapter + "_" + std::to_string(n));
  auto pubsub = std::make_unique<PubSubImpl>(node, **scope, std::move(groups));
  if (auto started = pubsub->start_workers(); !started) {
    return fail(started.error().code,
                "pubsub " + std::string(name) + ": " + started.error().message);
  }
  return std::unique_ptr<PubSub>(std::move(pubsub));
}

}  // namespace beamlink
