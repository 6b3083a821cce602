#include "node/global/resolve_it.h"

#include <exception>

#include "node/global/resolution.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::global {

namespace {

enum class Method { random_exit, random_notify, notify_all, unknown };

Method method_of(const Term& method) {
  if (const auto* f = method.get_if<ExportFun>()) {
    if (f->module.name != "global" || f->arity != 3) return Method::unknown;
    if (f->function.name == "random_exit_name") return Method::random_exit;
    if (f->function.name == "random_notify_name") return Method::random_notify;
    if (f->function.name == "notify_all_name") return Method::notify_all;
    return Method::unknown;
  }
  // register_name/2's default is the local fun random_exit_name/3 of global.
  if (const auto* c = method.get_if<Closure>()) {
    return c->module.name == "global" && c->arity == 3 && c->free_vars.empty() ? Method::random_exit
                                                                               : Method::unknown;
  }
  return Method::unknown;
}

}  // namespace

Term resolve_it(Runtime& runtime, const ResolvePolicy& policy, const Term& method, const Term& name,
                const Pid& pid1, const Pid& pid2) {
  const Pid& us = runtime.anonymous_pid();
  auto [min, max] = min_max_by_node(pid1, pid2);
  switch (method_of(method)) {
    case Method::random_exit:
      if (policy) {
        try {
          std::optional<Pid> keep = policy(name, pid1, pid2);
          return keep ? Term(*keep) : atom("none");
        } catch (const std::exception& e) {
          runtime.log(LogLevel::error, std::string("global: resolve policy threw: ") + e.what());
          return atom("none");
        } catch (...) {
          runtime.log(LogLevel::error, "global: resolve policy threw");
          return atom("none");
        }
      }
      runtime.log(LogLevel::info,
                  "global: name conflict, terminating the process on " + max.node.name);
      runtime.exit_signal(us, max, atom("kill"));
      return Term(min);
    case Method::random_notify:
      runtime.send(us, max, tuple(atom("global_name_conflict"), name), false);
      return Term(min);
    case Method::notify_all:
      runtime.send(us, pid1, tuple(atom("global_name_conflict"), name, pid2), false);
      runtime.send(us, pid2, tuple(atom("global_name_conflict"), name, pid1), false);
      return atom("none");
    case Method::unknown:
      break;
  }
  return tuple(atom("EXIT"), atom("undef"));
}

}  // namespace beamlink::node::global
