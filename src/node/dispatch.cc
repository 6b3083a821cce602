// Incoming control messages (erl_dist_protocol, "Protocol between
// Connected Nodes"): each is checked for shape and turned into a delivery
// or a signal for a local process. Anything malformed or unknown is
// dropped and counted, never fatal.
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

void Runtime::deliver(const std::shared_ptr<dist::Connection>& from, Term control,
                      std::optional<Term> payload) {
  wait_ready();
  if (stopped_) return;
  defer_wakes();
  dist::ControlHeader header;
  if (dist::header_from_term(control, header)) {
    dispatch(header, std::move(payload));
    return;
  }
  flush_batches();  // what came before is in the mailboxes before this acts
  const Tuple* t = control.get_if<Tuple>();
  const int64_t* code =
      t != nullptr && !t->elements.empty() ? t->elements[0].get_if<int64_t>() : nullptr;
  if (code != nullptr && (*code == op::SPAWN_REQUEST || *code == op::SPAWN_REQUEST_TT)) {
    const std::vector<Term>& e = t->elements;
    if (e.size() >= 6 && e[1].is<Reference>() && e[2].is<Pid>()) {
      spawn_request(from, e, std::move(payload));
      return;
    }
  }
  // GROUP_LEADER, SPAWN_REPLY (we never spawn remotely), NODE_LINK, malformed ...
  bump(counters_.dropped_control);
}

void Runtime::deliver_header(const std::shared_ptr<dist::Connection>& /*from*/,
                             const dist::ControlHeader& header, std::optional<Term> payload) {
  wait_ready();
  if (stopped_) return;
  defer_wakes();
  dispatch(header, std::move(payload));
}

void Runtime::dispatch(const dist::ControlHeader& h, std::optional<Term> payload) {
  switch (h.op) {
    case op::SEND:
    case op::SEND_TT:
    case op::SEND_SENDER:
    case op::SEND_SENDER_TT:
      if (!payload) break;
      deliver_batched(lookup_pid(h.to), std::move(*payload), counters_.dropped_unknown_pid);
      return;
    case op::REG_SEND:
    case op::REG_SEND_TT:
      if (!payload) break;
      deliver_batched(lookup_name(h.to_name), std::move(*payload), counters_.dropped_unknown_name);
      return;
    case op::ALIAS_SEND:
    case op::ALIAS_SEND_TT:
      if (!payload) break;
      deliver_batched(h.ref.node == name_ && h.ref.creation == creation_
                          ? table_->resolve_alias(h.ref.to_reference())
                          : nullptr,
                      std::move(*payload), counters_.dropped_unknown_alias);
      return;
    default:
      break;
  }
  // A signal: the messages held for a mailbox go in before it acts.
  flush_batches();
  bool handled = true;
  switch (h.op) {
    case op::LINK:
      incoming_link(h.from.to_pid(), h.to.to_pid());
      break;
    case op::UNLINK:
      incoming_unlink(h.from.to_pid(), h.to.to_pid(), std::nullopt);
      break;
    case op::UNLINK_ID:
      incoming_unlink(h.from.to_pid(), h.to.to_pid(), h.unlink_id);
      break;
    case op::UNLINK_ID_ACK:
      incoming_unlink_ack(h.from.to_pid(), h.to.to_pid(), h.unlink_id);
      break;
    case op::EXIT:
    case op::EXIT2:
    case op::EXIT_TT:
    case op::EXIT2_TT:
    case op::PAYLOAD_EXIT:
    case op::PAYLOAD_EXIT2:
    case op::PAYLOAD_EXIT_TT:
    case op::PAYLOAD_EXIT2_TT: {
      std::optional<Term> reason = h.reason ? h.reason : std::move(payload);
      if (!reason) {
        handled = false;
        break;
      }
      const bool link = h.op == op::EXIT || h.op == op::EXIT_TT || h.op == op::PAYLOAD_EXIT ||
                        h.op == op::PAYLOAD_EXIT_TT;
      incoming_exit(h.from.to_pid(), h.to.to_pid(), std::move(*reason), link);
      break;
    }
    case op::MONITOR_P:
      incoming_monitor(h.from.to_pid(), h.proc.to_term(), h.ref.to_reference());
      break;
    case op::DEMONITOR_P:
      incoming_demonitor(h.proc.to_term(), h.ref.to_reference());
      break;
    case op::MONITOR_P_EXIT:
    case op::PAYLOAD_MONITOR_P_EXIT: {
      std::optional<Term> reason = h.reason ? h.reason : std::move(payload);
      if (!reason) {
        handled = false;
        break;
      }
      incoming_down(h.to.to_pid(), h.ref.to_reference(), std::move(*reason));
      break;
    }
    default:
      handled = false;
      break;
  }
  if (!handled) bump(counters_.dropped_control);
}

}  // namespace beamlink::node
