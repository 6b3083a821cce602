// node/gen_server/caller.h - gen:call and gen_server:cast on the node
// runtime (see beamlink/gen_server.h for the contract).
//
// gen_call runs in the calling thread on `self`'s mailbox: a pull-mode
// process, or a handler process from inside its own handler (its mailbox
// supports a blocking selective receive there). REQUIRES: no other thread
// receives from `self` during the call.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "beamlink/gen_server.h"
#include "beamlink/process.h"

namespace beamlink::node {

class Runtime;

// {global, Name} -> its pid, or nullopt (empty function: never registered).
using GlobalResolver = std::function<std::optional<Pid>(std::string_view name)>;

CallReply gen_call(Runtime& runtime, Process& self, const GlobalResolver& whereis_global,
                   const ServerRef& to, Term request, std::chrono::milliseconds timeout);

// The two halves of gen_call, for callers that wait their own way (the
// asynchronous call): start_call monitors, aliases and sends; finish_call
// turns what was received (a reply, the DOWN, or nothing by the deadline)
// into the outcome and leaves no alias or monitor behind.
struct PendingCall {
  ServerRef to = ServerRef::local("");
  std::string node;  // the server's node
  Reference mref;
  Reference alias;
  Term tag;  // [alias | Alias]
  bool is_reply(const Term& message) const;
  bool is_down(const Term& message) const;
};
std::variant<CallError, PendingCall> start_call(Runtime& runtime, Process& self,
                                                const GlobalResolver& whereis_global,
                                                const ServerRef& to, Term request);
CallReply finish_call(Runtime& runtime, Process& self, const PendingCall& call,
                      std::optional<Term> answer);

// gen_server:cast from `from` (a process of this node, or its anonymous pid).
void gen_cast(Runtime& runtime, const Pid& from, const GlobalResolver& whereis_global,
              const ServerRef& to, Term request);

// Answers {Pid, Tag}: to the alias when Tag is [alias | Alias], else to Pid.
void send_gen_reply(Runtime& runtime, const Pid& server, const Pid& caller, const Term& tag,
                    Term value);

}  // namespace beamlink::node
