// node/global/messages.h - the terms OTP 25's `global` exchanges
// (protocol version 8): gen_server call/cast envelopes, the name list of
// the exchange step, resolve ops and known-node lists.
//
// Pure functions: terms in, parsed values (or nullopt for a shape that does
// not fit) out. Everything parsed here comes from peers and is untrusted:
// a parser never throws and bounds what it accepts (kMaxListItems).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::node::global {

inline constexpr int64_t kProtocolVersion = 8;  // ?vsn in global.erl
inline constexpr int64_t kPopVersion = 7;       // ?pop_vsn / ?pgpv_vsn
inline constexpr size_t kMaxListItems = 1'000'000;

// {'$gen_call', {From, Tag}, Request}
struct GenCall {
  Pid from;
  Term tag;
  Term request;
};
std::optional<GenCall> parse_gen_call(const Term& message);
// The reply message for a call tag: {Tag, Reply}.
Term gen_reply_message(const Term& tag, Term reply);

// {'$gen_cast', Request}: the request.
const Term* parse_gen_cast(const Term& message);
Term gen_cast(Term request);

// One registered name as the exchange carries it: {Name, Pid, Method}.
struct NameEntry {
  Term name;
  Pid pid;
  Term method;
};
std::optional<std::vector<NameEntry>> parse_names(const Term& list);
Term names_term(const std::vector<NameEntry>& names);

// A resolve op: {insert, {Name, Pid, Method}} or {delete, Name}.
struct Op {
  bool insert = true;
  NameEntry entry;  // for delete only entry.name is set
};
std::optional<std::vector<Op>> parse_ops(const Term& list);
Term ops_term(const std::vector<Op>& ops);

// Known-node lists: [Node] or [{Node, Vsn}] (vsn 0 when absent).
std::optional<std::vector<std::pair<std::string, int64_t>>> parse_known(const Term& list);
Term known_term(const std::vector<std::pair<std::string, int64_t>>& known);
Term node_list_term(const std::vector<std::string>& nodes);

// A proper list's elements, or nullptr (also when longer than kMaxListItems).
const std::vector<Term>* proper_list(const Term& term);
// Lock id {ResourceId, LockRequesterId}.
std::optional<std::pair<Term, Term>> parse_lock_id(const Term& id);

// The method names registered from C++ carry: fun global:random_exit_name/3.
Term default_method();

}  // namespace beamlink::node::global
