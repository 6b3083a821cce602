// node/process_state.h - what the runtime knows about one local process:
// its mailbox, links, monitors, aliases and name.
//
// Thread safety: `pid`, `handler` and `mailbox` are fixed at creation (the
// mailbox locks itself); everything else is guarded by `mu`. The runtime
// never holds two processes' `mu` at once, and never calls out (sends,
// handlers, connections) while holding one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "beamlink/node.h"
#include "beamlink/term.h"
#include "node/mailbox.h"

namespace beamlink::node {

struct PidHash {
  size_t operator()(const Pid& pid) const noexcept {
    size_t h = std::hash<std::string>{}(pid.node.name);
    h ^= (uint64_t{pid.id} << 1) ^ (uint64_t{pid.serial} << 33) ^ (uint64_t{pid.creation} << 17);
    return h;
  }
};

struct ReferenceHash {
  size_t operator()(const Reference& ref) const noexcept {
    size_t h = std::hash<std::string>{}(ref.node.name) ^ ref.creation;
    for (uint32_t word : ref.ids) h = h * 1000003u ^ word;
    return h;
  }
};

// One link as seen from this process (the OTP 23+ link protocol): active,
// or being removed with an UNLINK_ID whose acknowledgement is awaited.
struct LinkState {
  uint64_t unlinking = 0;  // 0: active; else the UNLINK_ID id sent
};

// A monitor this process holds on another.
struct MonitorOut {
  Term object;       // what DOWN names: the pid, or {Name, Node}
  Term target;       // what MONITOR_P/DEMONITOR_P carry: the pid or the name atom
  std::string node;  // the target's node
  bool remote = false;
};

// A monitor another process holds on this one.
struct MonitorIn {
  Pid watcher;
  Term as;  // how it named us: our pid or our registered name atom
};

struct ProcessState {
  ProcessState(Pid p, bool handler_mode) : pid(std::move(p)), mailbox(handler_mode) {}

  const Pid pid;
  Mailbox mailbox;
  Node::MessageHandler handler;  // set before the process is published, then fixed
  bool kill_on_full = false;     // mailbox limit policy kill; fixed like handler
  std::atomic<bool> killed_for_mailbox{false};

  mutable std::mutex mu;
  std::atomic<bool> alive{true};  // written under mu; read lock-free for fast paths
  std::optional<Term> exit_reason;
  bool trap_exit = false;
  std::string name;  // registered name, "" if none
  bool node_monitor = false;
  std::unordered_map<Pid, LinkState, PidHash> links;
  std::unordered_map<Reference, MonitorOut, ReferenceHash> monitors_out;
  std::unordered_map<Reference, MonitorIn, ReferenceHash> monitors_in;
  std::vector<Reference> aliases;
};

}  // namespace beamlink::node
