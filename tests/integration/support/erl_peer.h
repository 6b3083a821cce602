// erl_peer.h - a real Erlang or Elixir node for real-peer tests, with an
// `agent` process that evaluates source text sent by the test.
//
// ErlPeer::start runs `erl` (or `elixir`) as a ChildProcess named
// `name@127.0.0.1`, with the test's cookie and EPMD port, its distribution
// bound to 127.0.0.1, and returns once its agent answers an eval from
// `probe` (a beamlink node of the test, which it connects to). The agent
// binds `Arg` (a term the test sends) and `Me` (the asking pid) in Erlang
// source, `arg` and `me` in Elixir source, and answers every eval with the
// value or the exception as {Class, Reason}.
//
// The destructor kills the child (SIGKILL) by its pid only. Not
// thread-safe; eval may be called from any one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "beamlink/epmd.h"
#include "beamlink/node.h"
#include "beamlink/result.h"
#include "epmd/loopback_epmd.h"
#include "integration/support/child_process.h"

namespace beamlink::testing {

struct ErlPeerOptions {
  std::string alive;  // the name part; the host is 127.0.0.1
  std::string cookie;
  uint16_t epmd_port = 0;
  bool elixir = false;  // an Elixir node (agent evaluates Elixir source)
  bool hidden = false;
  // More erl flags (-kernel ... / -connect_all false / ...), passed to erl
  // directly or through elixir's --erl.
  std::vector<std::string> erl_args;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
};

// A beamlink node `alive@127.0.0.1` listening on 127.0.0.1 and registered
// with the EPMD on `epmd_port`.
Result<std::unique_ptr<Node>> start_loopback_node(const std::string& alive,
                                                  const std::string& cookie, uint16_t epmd_port);

class ErlPeer {
 public:
  static std::expected<ErlPeer, std::string> start(const ErlPeerOptions& options, Node& probe);

  const std::string& name() const { return name_; }
  bool elixir() const { return elixir_; }
  ChildProcess& process() { return *process_; }

  // Evaluates `source` (Erlang expressions without the final dot, or
  // Elixir code) on the agent, from a temporary process of `from`. The
  // value; Errc::refused with the exception printed in Erlang syntax;
  // Errc::timeout when no answer came in `timeout`.
  Result<Term> eval(Node& from, const std::string& source, Term arg = Term(),
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  ErlPeer(std::unique_ptr<ChildProcess> process, std::string name, bool elixir)
      : process_(std::move(process)), name_(std::move(name)), elixir_(elixir) {}

  std::unique_ptr<ChildProcess> process_;
  std::string name_;
  bool elixir_ = false;
};

}  // namespace beamlink::testing
