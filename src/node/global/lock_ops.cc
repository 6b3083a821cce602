#include "node/global/lock_ops.h"

#include <algorithm>
#include <random>
#include <thread>

#include "node/global/multi_call.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {

bool stopping(const LockContext& ctx) {
  return ctx.stopping != nullptr && ctx.stopping->load();
}

void random_sleep(const LockContext& ctx, unsigned times) {
  thread_local std::mt19937 rng{std::random_device{}()};
  unsigned ms = std::uniform_int_distribution<unsigned>(1, backoff_bound_ms(times))(rng);
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until && !stopping(ctx)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 50u)));
  }
}

std::vector<std::string> reachable(const LockContext& ctx, const std::vector<std::string>& nodes) {
  if (!ctx.reachable) return nodes;
  std::vector<std::string> out;
  for (const std::string& n : nodes) {
    if (ctx.reachable(n)) out.push_back(n);
  }
  return out;
}

}  // namespace

std::function<bool(const std::string&)> reachable_from(const std::shared_ptr<Runtime>& runtime) {
  std::weak_ptr<Runtime> weak = runtime;
  return [weak](const std::string& node) {
    auto rt = weak.lock();
    return rt != nullptr && (node == rt->name() || rt->connection(node) != nullptr);
  };
}

unsigned backoff_bound_ms(unsigned times) {
  return times > 5 ? 8000u : ((1u << times) * 1000u) / 8u;
}

bool set_lock_on_nodes(LockContext& ctx, const Term& lock_id,
                       const std::vector<std::string>& nodes) {
  if (nodes.empty()) return true;
  if (nodes.size() > 1 && std::ranges::find(nodes, ctx.our_node) != nodes.end()) {
    // Probe our own table first: no use asking the others if it is taken.
    const Tuple* id = tuple_of(lock_id, 2);
    std::lock_guard lock(ctx.shared.mu);
    if (id == nullptr || !ctx.shared.locks.can_set(id->elements[0], id->elements[1])) {
      return false;
    }
  }
  MultiCallResult r = multi_call(ctx.self, nodes, tuple(atom("set_lock"), lock_id), kCallTimeout);
  std::vector<std::string> granted;
  bool all = !r.timed_out;
  for (const auto& [node, reply] : r.replies) {
    if (reply.is_atom("true")) {
      granted.push_back(node);
    } else {
      all = false;
    }
  }
  if (!all && !granted.empty() && nodes.size() > 1) del_lock(ctx, lock_id, granted);
  return all;
}

void del_lock(LockContext& ctx, const Term& lock_id, const std::vector<std::string>& nodes) {
  if (nodes.empty()) return;
  (void)multi_call(ctx.self, reachable(ctx, nodes), tuple(atom("del_lock"), lock_id), kCallTimeout);
}

void delete_global_lock(LockContext& ctx, const Term& lock_id, std::vector<std::string> nodes) {
  if (nodes.empty()) return;
  auto boss = std::ranges::max_element(nodes);
  std::string boss_node = *boss;
  nodes.erase(boss);
  del_lock(ctx, lock_id, nodes);
  del_lock(ctx, lock_id, {boss_node});
}

bool set_lock(LockContext& ctx, const Term& lock_id, const std::vector<std::string>& nodes,
              std::optional<unsigned> retries) {
  for (unsigned times = 1;; ++times) {
    if (set_lock_on_nodes(ctx, lock_id, nodes)) return true;
    if (retries && *retries < times) return false;
    if (stopping(ctx)) return false;
    random_sleep(ctx, times);
  }
}

std::optional<std::vector<std::string>> set_lock_known(LockContext& ctx, const Term& lock_id,
                                                       unsigned max_tries) {
  for (unsigned times = 0; times < max_tries && !stopping(ctx); ++times) {
    std::vector<std::string> known = ctx.shared.known_nodes();
    std::vector<std::string> nodes = known;
    nodes.push_back(ctx.our_node);
    std::string boss = *std::ranges::max_element(nodes);
    if (set_lock_on_nodes(ctx, lock_id, {boss})) {
      if (set_lock_on_nodes(ctx, lock_id, nodes)) {
        std::vector<std::string> now = ctx.shared.known_nodes();
        bool grew = std::ranges::any_of(
            now, [&](const std::string& n) { return std::ranges::find(known, n) == known.end(); });
        if (!grew) return nodes;
      }
      del_lock(ctx, lock_id, {boss});
    }
    random_sleep(ctx, times);
  }
  return std::nullopt;
}

}  // namespace beamlink::node::global
