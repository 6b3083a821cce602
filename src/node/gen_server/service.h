// node/gen_server/service.h - the node's gen_server support behind the
// public Node::call / cast / start_server (see beamlink/gen_server.h).
//
// Global names resolve through Services::whereis_global, read at each call
// (the global service sets it in its own start, whatever the order).
//
// Thread safety: every member from any thread.
#pragma once

#include <chrono>
#include <memory>

#include "beamlink/gen_server.h"
#include "beamlink/process.h"
#include "beamlink/result.h"
#include "node/gen_server/caller.h"
#include "node/gen_server/server.h"

namespace beamlink::node {

class Runtime;
struct Services;

class GenServerService {
 public:
  // `services` must outlive this object (it owns it).
  GenServerService(std::shared_ptr<Runtime> runtime, const Services& services);

  // From a temporary process of this node.
  CallReply call(const ServerRef& to, Term request, std::chrono::milliseconds timeout);
  // From `self`, a process of this node (see caller.h).
  CallReply call(Process& self, const ServerRef& to, Term request,
                 std::chrono::milliseconds timeout);
  // From a temporary process waiting with async_receive (async_call.cc).
  void call_async(const ServerRef& to, Term request, std::chrono::milliseconds timeout,
                  CallCallback done);
  void cast(const ServerRef& to, Term request);
  Result<Pid> start_server(std::shared_ptr<GenServer> server, const ServerOptions& options);
  GenServerStats stats() const;

 private:
  GlobalResolver resolver() const;

  std::shared_ptr<Runtime> runtime_;
  const Services& services_;
  std::shared_ptr<GenServerCounters> counters_ = std::make_shared<GenServerCounters>();
};

}  // namespace beamlink::node
