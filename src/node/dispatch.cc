// Incoming control messages (erl_dist_protocol, "Protocol between
// Connected Nodes"): each is checked for shape and turned into a delivery
// or a signal for a local process. Anything malformed or unknown is
// dropped and counted, never fatal.
#include <utility>

#include "node/ops.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

const Pid* pid_at(const std::vector<Term>& e, size_t i) {
  return i < e.size() ? e[i].get_if<Pid>() : nullptr;
}
const Reference* ref_at(const std::vector<Term>& e, size_t i) {
  return i < e.size() ? e[i].get_if<Reference>() : nullptr;
}
std::optional<uint64_t> id_at(const std::vector<Term>& e, size_t i) {
  if (i >= e.size()) return std::nullopt;
  if (const auto* v = e[i].get_if<int64_t>(); v != nullptr && *v >= 0) return *v;
  if (const auto* big = e[i].get_if<BigInt>(); big != nullptr && !big->negative) {
    uint64_t value = 0;
    if (big->magnitude.size() > 8) return std::nullopt;
    for (size_t b = big->magnitude.size(); b-- > 0;) value = value << 8 | big->magnitude[b];
    return value;
  }
  return std::nullopt;
}

}  // namespace

void Runtime::deliver_remote(const Pid& to, Term message) {
  push_counted(find_local(to), std::move(message), counters_.messages_received,
               counters_.dropped_unknown_pid);
}

void Runtime::deliver_remote_named(const Atom& name, Term message) {
  push_counted(table_->whereis(name.name), std::move(message), counters_.messages_received,
               counters_.dropped_unknown_name);
}

void Runtime::deliver(const std::shared_ptr<dist::Connection>& from, Term control,
                      std::optional<Term> payload) {
  wait_ready();
  if (stopped_) return;
  defer_wakes();
  const Tuple* t = control.get_if<Tuple>();
  const int64_t* code =
      t != nullptr && !t->elements.empty() ? t->elements[0].get_if<int64_t>() : nullptr;
  if (code == nullptr) {
    bump(counters_.dropped_control);
    return;
  }
  const std::vector<Term>& e = t->elements;
  auto reason_or_payload = [&](size_t i) -> std::optional<Term> {
    if (i < e.size()) return e[i];
    return payload;
  };
  bool handled = false;
  switch (*code) {
    case op::SEND:
    case op::SEND_TT:
    case op::SEND_SENDER:
    case op::SEND_SENDER_TT:
      if (const Pid* to = pid_at(e, 2); to != nullptr && payload) {
        deliver_remote(*to, std::move(*payload));
        handled = true;
      }
      break;
    case op::REG_SEND:
    case op::REG_SEND_TT:
      if (const Atom* name = e.size() > 3 ? e[3].get_if<Atom>() : nullptr; name && payload) {
        deliver_remote_named(*name, std::move(*payload));
        handled = true;
      }
      break;
    case op::ALIAS_SEND:
    case op::ALIAS_SEND_TT:
      if (const Reference* alias = ref_at(e, 2); alias != nullptr && payload) {
        Ptr target = alias->node.name == name_ && alias->creation == creation_
                         ? table_->resolve_alias(*alias)
                         : nullptr;
        push_counted(target, std::move(*payload), counters_.messages_received,
                     counters_.dropped_unknown_alias);
        handled = true;
      }
      break;
    case op::LINK:
      if (const Pid* f = pid_at(e, 1), *to = pid_at(e, 2); f && to) {
        incoming_link(*f, *to);
        handled = true;
      }
      break;
    case op::UNLINK:
      if (const Pid* f = pid_at(e, 1), *to = pid_at(e, 2); f && to) {
        incoming_unlink(*f, *to, std::nullopt);
        handled = true;
      }
      break;
    case op::UNLINK_ID:
    case op::UNLINK_ID_ACK:
      if (auto id = id_at(e, 1); id) {
        if (const Pid* f = pid_at(e, 2), *to = pid_at(e, 3); f && to) {
          if (*code == op::UNLINK_ID) {
            incoming_unlink(*f, *to, *id);
          } else {
            incoming_unlink_ack(*f, *to, *id);
          }
          handled = true;
        }
      }
      break;
    case op::EXIT:
    case op::EXIT2:
    case op::EXIT_TT:
    case op::EXIT2_TT:
    case op::PAYLOAD_EXIT:
    case op::PAYLOAD_EXIT2:
    case op::PAYLOAD_EXIT_TT:
    case op::PAYLOAD_EXIT2_TT: {
      const Pid *f = pid_at(e, 1), *to = pid_at(e, 2);
      size_t reason_at = *code == op::EXIT || *code == op::EXIT2         ? 3
                         : *code == op::EXIT_TT || *code == op::EXIT2_TT ? 4
                                                                         : e.size();
      auto reason = reason_or_payload(reason_at);
      if (f && to && reason) {
        bool link = *code == op::EXIT || *code == op::EXIT_TT || *code == op::PAYLOAD_EXIT ||
                    *code == op::PAYLOAD_EXIT_TT;
        incoming_exit(*f, *to, std::move(*reason), link);
        handled = true;
      }
      break;
    }
    case op::MONITOR_P:
      if (const Pid* f = pid_at(e, 1); f && e.size() > 3 && ref_at(e, 3)) {
        incoming_monitor(*f, e[2], *ref_at(e, 3));
        handled = true;
      }
      break;
    case op::DEMONITOR_P:
      if (e.size() > 3 && ref_at(e, 3)) {
        incoming_demonitor(e[2], *ref_at(e, 3));
        handled = true;
      }
      break;
    case op::MONITOR_P_EXIT:
    case op::PAYLOAD_MONITOR_P_EXIT: {
      auto reason = reason_or_payload(*code == op::MONITOR_P_EXIT ? 4 : e.size());
      if (const Pid* to = pid_at(e, 2); to && ref_at(e, 3) && reason) {
        incoming_down(*to, *ref_at(e, 3), std::move(*reason));
        handled = true;
      }
      break;
    }
    case op::SPAWN_REQUEST:
    case op::SPAWN_REQUEST_TT:
      if (e.size() >= 6 && ref_at(e, 1) && pid_at(e, 2)) {
        spawn_request(from, e, std::move(payload));
        handled = true;
      }
      break;
    default:
      break;  // GROUP_LEADER, SPAWN_REPLY (we never spawn remotely), NODE_LINK, ...
  }
  if (!handled) bump(counters_.dropped_control);
}

}  // namespace beamlink::node
