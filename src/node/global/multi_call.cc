#include "node/global/multi_call.h"

#include <set>

#include "node/terms.h"

namespace beamlink::node::global {

MultiCallResult multi_call(Process& self, const std::vector<std::string>& nodes,
                           const Term& request, std::chrono::milliseconds timeout) {
  MultiCallResult result;
  std::map<Term, std::string> by_tag;
  std::map<Term, std::string> by_monitor;
  std::map<std::string, Reference> monitors;
  std::set<std::string> seen;
  for (const std::string& node : nodes) {
    if (!seen.insert(node).second) continue;
    Reference monitor = self.monitor("global_name_server", node);
    Term tag = tuple(Term(monitor), atom(node));
    by_tag[tag] = node;
    by_monitor[Term(monitor)] = node;
    monitors[node] = monitor;
    self.send("global_name_server", node,
              tuple(atom("$gen_call"), tuple(self.pid(), tag), request));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wanted = [&](const Term& m) {
    if (const Tuple* r = tuple_of(m, 2)) return by_tag.contains(r->elements[0]);
    if (const Tuple* d = tuple_of(m, 5)) {
      return d->elements[0].is_atom("DOWN") && by_monitor.contains(d->elements[1]);
    }
    return false;
  };
  while (!by_tag.empty()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::optional<Term> m = self.receive_if(wanted, left + std::chrono::milliseconds(1));
    if (!m) {
      if (!self.alive()) break;
      continue;
    }
    const Tuple& t = m->as<Tuple>();
    std::string node;
    if (t.elements.size() == 2) {
      node = by_tag[t.elements[0]];
      result.replies[node] = t.elements[1];
    } else {
      node = by_monitor[t.elements[1]];
      result.bad_nodes.push_back(node);
    }
    const Reference& monitor = monitors[node];
    by_tag.erase(tuple(Term(monitor), atom(node)));
    by_monitor.erase(Term(monitor));
    self.demonitor(monitor);
  }
  for (const auto& [tag, node] : by_tag) {
    result.bad_nodes.push_back(node);
    self.demonitor(monitors[node]);
  }
  return result;
}

}  // namespace beamlink::node::global
