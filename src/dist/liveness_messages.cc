// Liveness messages between beamlink nodes; see liveness_messages.h.
#include "dist/liveness_messages.h"

#include "dist/control_message.h"
#include "dist/distribution.h"

namespace beamlink::dist {
namespace {

const std::string* atom_name(const Term* term) {
  const Atom* atom = term == nullptr ? nullptr : term->get_if<Atom>();
  return atom == nullptr ? nullptr : &atom->name.str();
}

const int64_t* integer(const Term* term) {
  return term == nullptr ? nullptr : term->get_if<int64_t>();
}

}  // namespace

EncodedLiveness encode_liveness(const LivenessMessage& message, const std::string& local_node,
                                uint32_t local_creation) {
  const Term from(Pid{Atom(local_node), kProbePidId, 0, local_creation});
  Term control = Term::tuple({REG_SEND, from, Term::atom(""), Term::atom(kLivenessName)});
  Term payload;
  switch (message.kind) {
    case LivenessMessage::Kind::hello:
      payload = Term::tuple({Term::atom("hello"), Term(message.version)});
      break;
    case LivenessMessage::Kind::watch:
    case LivenessMessage::Kind::unwatch:
      payload = Term::tuple(
          {Term::atom("watch"), Term::boolean(message.kind == LivenessMessage::Kind::watch)});
      break;
    case LivenessMessage::Kind::ping:
      payload = Term::atom("ping");
      break;
    case LivenessMessage::Kind::doubt:
    case LivenessMessage::Kind::suspect:
      payload = Term::tuple(
          {Term::atom(message.kind == LivenessMessage::Kind::doubt ? "doubt" : "suspect"),
           Term::atom(message.node), Term(message.silent_ms)});
      break;
  }
  return {std::move(control), std::move(payload)};
}

bool is_liveness_message(const Term& control) {
  const auto op = control_op(control);
  if (!op || *op != REG_SEND) return false;
  const std::string* to = atom_name(control.element(3));
  return to != nullptr && *to == kLivenessName;
}

std::optional<LivenessMessage> decode_liveness(const Term& control, const Term* payload) {
  if (!is_liveness_message(control) || payload == nullptr) return std::nullopt;
  LivenessMessage message;
  if (const std::string* word = atom_name(payload); word != nullptr) {
    if (*word != "ping") return std::nullopt;
    message.kind = LivenessMessage::Kind::ping;
    return message;
  }
  const std::string* tag = atom_name(payload->element(0));
  if (tag == nullptr) return std::nullopt;
  if (*tag == "hello") {
    const int64_t* version = integer(payload->element(1));
    if (version == nullptr) return std::nullopt;
    message.kind = LivenessMessage::Kind::hello;
    message.version = *version;
    return message;
  }
  if (*tag == "watch") {
    const std::string* on = atom_name(payload->element(1));
    if (on == nullptr || (*on != "true" && *on != "false")) return std::nullopt;
    message.kind = *on == "true" ? LivenessMessage::Kind::watch : LivenessMessage::Kind::unwatch;
    return message;
  }
  if (*tag == "suspect" || *tag == "doubt") {
    const std::string* node = atom_name(payload->element(1));
    const int64_t* silent = integer(payload->element(2));
    if (node == nullptr || silent == nullptr || *silent < 0) return std::nullopt;
    message.kind = *tag == "doubt" ? LivenessMessage::Kind::doubt : LivenessMessage::Kind::suspect;
    message.node = *node;
    message.silent_ms = *silent;
    return message;
  }
  return std::nullopt;
}

}  // namespace beamlink::dist
