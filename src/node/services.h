// node/services.h - the OTP services a Node runs beside its kernel
// processes (net_kernel, rex): global, pg scopes, gen_server support,
// Phoenix.PubSub. Node::start builds one Services and starts it from
// Runtime::start's hook, so every service answers from the first message
// a peer sends; NodeImpl reaches them here for the public API.
//
// Thread safety: the members are set once in start() and then only read;
// each service is itself safe to call from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "beamlink/result.h"
#include "beamlink/term.h"
#include "node/gen_server/service.h"
#include "node/global/global_service.h"

namespace beamlink::node {

class Runtime;
namespace pg {
class PgService;
}

struct Services {
  // REQUIRES: called once, from Runtime::start's hook (before ready).
  Result<void> start(const std::shared_ptr<Runtime>& runtime);
  // Stops every service; the runtime stops after. Idempotent.
  void stop();

  // The pid a global name has on this node's view of the cluster; set by
  // the global service, used by gen_server calls to {global, Name}.
  // Empty (or nullopt): the name is not registered.
  std::function<std::optional<Pid>(std::string_view name)> whereis_global;

  // pg scopes (node/pg/pg_service.h): the default `pg` and named ones.
  std::shared_ptr<pg::PgService> pg;
  // Erlang's global (visible nodes take part; see beamlink/global.h).
  std::shared_ptr<global::GlobalService> global = std::make_shared<global::GlobalService>();
  // gen_server calls, casts and C++ servers (node/gen_server/).
  std::unique_ptr<GenServerService> gen_server;
};

}  // namespace beamlink::node
