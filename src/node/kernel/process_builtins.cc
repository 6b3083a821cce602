// erlang:node/0, nodes/0,1, whereis/1, is_alive/0, registered/0,
// processes/0 and process_info/1,2 of a beamlink node.
//
// process_info knows these items (anything else is badarg, as Erlang
// answers an item it does not know):
//   registered_name   the name, or [] when unregistered
//   message_queue_len messages queued and not yet taken by the process
//   links, monitors ([{process, Pid | {Name, Node}}]), monitored_by
//   status            waiting (nothing queued) or runnable (messages queued)
//   trap_exit, dictionary ([]: C++ processes have none), priority (normal)
//   current_function, initial_call   undefined: a C++ process runs no
//                     Erlang function
//   reductions        0 (nothing counts reductions here)
//   memory            an estimate: the process record plus one Term per
//                     queued message (message payloads are not walked)
// process_info/1 returns registered_name (when registered), current_function,
// initial_call, status, message_queue_len, links, dictionary, trap_exit,
// priority and reductions. A pid of this node that is not alive gives
// undefined; a pid of another node is badarg, as in Erlang.
#include <algorithm>
#include <string>

#include "node/kernel/builtins.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::kernel {

namespace {

CallResult badarg() {
  return CallResult::error(atom("badarg"));
}

Term atoms(const std::vector<std::string>& names) {
  std::vector<Term> items;
  items.reserve(names.size());
  for (const std::string& n : names) items.push_back(atom(n));
  return Term::list(std::move(items));
}

template <class T>
Term list_of(const std::vector<T>& values) {
  return Term::list(std::vector<Term>(values.begin(), values.end()));
}

// The value of one process_info item, or nullopt if the item is unknown.
std::optional<Term> item_value(const Runtime::ProcessSnapshot& p, std::string_view item) {
  if (item == "registered_name") return p.name.empty() ? Term::list({}) : atom(p.name);
  if (item == "message_queue_len") return Term(static_cast<uint64_t>(p.message_queue_len));
  if (item == "links") return list_of(p.links);
  if (item == "monitors") {
    std::vector<Term> out;
    for (const Term& watched : p.monitors) out.push_back(tuple(atom("process"), watched));
    return Term::list(std::move(out));
  }
  if (item == "monitored_by") return list_of(p.monitored_by);
  if (item == "status") return atom(p.message_queue_len > 0 ? "runnable" : "waiting");
  if (item == "trap_exit") return Term::boolean(p.trap_exit);
  if (item == "dictionary") return Term::list({});
  if (item == "priority") return atom("normal");
  if (item == "current_function" || item == "initial_call") return atom("undefined");
  if (item == "reductions") return Term(0);
  if (item == "memory") {
    return Term(static_cast<uint64_t>(sizeof(ProcessState) + p.message_queue_len * sizeof(Term)));
  }
  return std::nullopt;
}

CallResult process_info(Runtime& runtime, const std::vector<Term>& args) {
  const Pid* pid = args[0].get_if<Pid>();
  if (pid == nullptr || pid->node.name != runtime.name()) return badarg();
  // Items are checked before liveness, as Erlang does.
  std::vector<std::string> items;
  bool single = args.size() == 2 && args[1].is<Atom>();
  if (args.size() == 1) {
    items = {"current_function", "initial_call", "status",   "message_queue_len", "links",
             "dictionary",       "trap_exit",    "priority", "reductions"};
  } else if (single) {
    items = {args[1].as<Atom>().name};
  } else if (const std::vector<Term>* list = proper_list(args[1])) {
    for (const Term& item : *list) {
      if (!item.is<Atom>()) return badarg();
      items.push_back(item.as<Atom>().name);
    }
  } else {
    return badarg();
  }
  Runtime::ProcessSnapshot probe;
  for (const std::string& item : items) {
    if (!item_value(probe, item)) return badarg();
  }
  auto snapshot = runtime.process_snapshot(*pid);
  if (!snapshot) return atom("undefined");
  if (single) {
    // process_info(P, registered_name) of an unregistered process is [].
    if (items[0] == "registered_name" && snapshot->name.empty()) return Term::list({});
    return tuple(atom(items[0]), *item_value(*snapshot, items[0]));
  }
  std::vector<Term> out;
  if (args.size() == 1 && !snapshot->name.empty()) {
    out.push_back(tuple(atom("registered_name"), atom(snapshot->name)));
  }
  for (const std::string& item : items)
    out.push_back(tuple(atom(item), *item_value(*snapshot, item)));
  return Term::list(std::move(out));
}

CallResult nodes(Runtime& runtime, const std::vector<Term>& args) {
  std::vector<Term> kinds = args.empty()           ? std::vector<Term>{atom("visible")}
                            : args[0].is<Atom>()   ? std::vector<Term>{args[0]}
                            : proper_list(args[0]) ? *proper_list(args[0])
                                                   : std::vector<Term>{};
  if (kinds.empty()) return badarg();
  std::vector<std::string> names;
  for (const Term& kind : kinds) {
    std::vector<std::string> some;
    if (kind.is_atom("visible")) {
      some = runtime.nodes(NodeKind::visible);
    } else if (kind.is_atom("hidden")) {
      some = runtime.nodes(NodeKind::hidden);
    } else if (kind.is_atom("connected") || kind.is_atom("known")) {
      some = runtime.nodes(NodeKind::all);
      if (kind.is_atom("known")) some.push_back(runtime.name());
    } else if (kind.is_atom("this")) {
      some = {runtime.name()};
    } else {
      return badarg();
    }
    for (std::string& n : some) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
    }
  }
  return atoms(names);
}

}  // namespace

std::optional<CallResult> process_builtin(Runtime& runtime, std::string_view function,
                                          const std::vector<Term>& args) {
  const size_t arity = args.size();
  if (function == "node" && arity == 0) return CallResult(atom(runtime.name()));
  if (function == "nodes" && arity <= 1) return nodes(runtime, args);
  if (function == "is_alive" && arity == 0) return CallResult(Term::boolean(true));
  if (function == "whereis" && arity == 1) {
    const Atom* name = args[0].get_if<Atom>();
    if (name == nullptr) return badarg();
    auto p = runtime.table().whereis(name->name);
    return CallResult(p ? Term(p->pid) : atom("undefined"));
  }
  if (function == "registered" && arity == 0) return CallResult(atoms(runtime.registered_names()));
  if (function == "processes" && arity == 0) return CallResult(list_of(runtime.process_pids()));
  if (function == "process_info" && (arity == 1 || arity == 2)) return process_info(runtime, args);
  return std::nullopt;
}

}  // namespace beamlink::node::kernel
