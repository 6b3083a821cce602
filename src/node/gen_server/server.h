// node/gen_server/server.h - the process behind a C++ GenServer: the
// handler that decodes gen_server and sys messages and runs the callbacks
// (see beamlink/gen_server.h for what it answers).
//
// Thread safety: the handler runs one message at a time on a worker (the
// runtime guarantees it); the counters are atomics shared with the service.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "beamlink/gen_server.h"
#include "beamlink/process.h"

namespace beamlink::node {

class Runtime;

struct GenServerCounters {
  std::atomic<uint64_t> calls_made{0};
  std::atomic<uint64_t> calls_answered{0};
  std::atomic<uint64_t> casts_received{0};
  std::atomic<uint64_t> crashes{0};
};

// The one door to GenServer's and From's private parts.
struct GenServerAccess {
  static void set_self(GenServer& server, const Pid& pid) { server.self_ = pid; }
  static std::optional<Term> take_stop(GenServer& server) {
    std::optional<Term> reason = std::move(server.stop_reason_);
    server.stop_reason_.reset();
    return reason;
  }
  static From make_from(const std::shared_ptr<Runtime>& runtime, const Pid& server,
                        const Pid& caller, Term tag) {
    From from;
    from.runtime_ = runtime;
    from.server_ = server;
    from.pid_ = caller;
    from.tag_ = std::move(tag);
    return from;
  }
  static void reply(const From& from, Term value);
};

class ServerLoop {
 public:
  ServerLoop(std::shared_ptr<GenServer> server, std::weak_ptr<Runtime> runtime,
             std::shared_ptr<GenServerCounters> counters, std::string name)
      : server_(std::move(server)),
        runtime_(std::move(runtime)),
        counters_(std::move(counters)),
        name_(std::move(name)) {}

  // Node::MessageHandler
  void operator()(Process& self, Term message);

 private:
  void dispatch(Process& self, const std::shared_ptr<Runtime>& runtime, Term& message);
  void system(Process& self, const std::shared_ptr<Runtime>& runtime, const Pid& caller,
              const Term& tag, const Term& request);
  Term status(const Pid& self) const;
  // Runs terminate(reason) (an exception there is logged, not rethrown)
  // and ends the process.
  void finish(Process& self, const Term& reason);
  std::string describe(const Pid& self) const;

  std::shared_ptr<GenServer> server_;
  std::weak_ptr<Runtime> runtime_;
  std::shared_ptr<GenServerCounters> counters_;
  std::string name_;  // registered name, "" if none
};

}  // namespace beamlink::node
