#include "node/global/messages.h"

#include "node/terms.h"

namespace beamlink::node::global {

const std::vector<Term>* proper_list(const Term& term) {
  const auto* list = term.get_if<List>();
  if (list == nullptr || !list->proper() || list->elements.size() > kMaxListItems) return nullptr;
  return &list->elements;
}

std::optional<GenCall> parse_gen_call(const Term& message) {
  const Tuple* call = tuple_of(message, 3);
  if (call == nullptr || !call->elements[0].is_atom("$gen_call")) return std::nullopt;
  const Tuple* from = tuple_of(call->elements[1], 2);
  if (from == nullptr || !from->elements[0].is<Pid>()) return std::nullopt;
  return GenCall{from->elements[0].as<Pid>(), from->elements[1], call->elements[2]};
}

Term gen_reply_message(const Term& tag, Term reply) {
  return tuple(tag, std::move(reply));
}

const Term* parse_gen_cast(const Term& message) {
  const Tuple* cast = tuple_of(message, 2);
  if (cast == nullptr || !cast->elements[0].is_atom("$gen_cast")) return nullptr;
  return &cast->elements[1];
}

Term gen_cast(Term request) {
  return tuple(atom("$gen_cast"), std::move(request));
}

namespace {

std::optional<NameEntry> parse_name(const Term& item) {
  const Tuple* t = tuple_of(item, 3);
  if (t == nullptr || !t->elements[1].is<Pid>()) return std::nullopt;
  return NameEntry{t->elements[0], t->elements[1].as<Pid>(), t->elements[2]};
}

Term name_term(const NameEntry& e) {
  return tuple(e.name, e.pid, e.method);
}

}  // namespace

std::optional<std::vector<NameEntry>> parse_names(const Term& list) {
  const auto* items = proper_list(list);
  if (items == nullptr) return std::nullopt;
  std::vector<NameEntry> out;
  out.reserve(items->size());
  for (const Term& item : *items) {
    auto entry = parse_name(item);
    if (!entry) return std::nullopt;
    out.push_back(std::move(*entry));
  }
  return out;
}

Term names_term(const std::vector<NameEntry>& names) {
  std::vector<Term> items;
  items.reserve(names.size());
  for (const NameEntry& e : names) items.push_back(name_term(e));
  return Term::list(std::move(items));
}

std::optional<std::vector<Op>> parse_ops(const Term& list) {
  const auto* items = proper_list(list);
  if (items == nullptr) return std::nullopt;
  std::vector<Op> out;
  out.reserve(items->size());
  for (const Term& item : *items) {
    const Tuple* t = tuple_of(item, 2);
    if (t == nullptr) return std::nullopt;
    if (t->elements[0].is_atom("insert")) {
      auto entry = parse_name(t->elements[1]);
      if (!entry) return std::nullopt;
      out.push_back(Op{true, std::move(*entry)});
    } else if (t->elements[0].is_atom("delete")) {
      out.push_back(Op{false, NameEntry{t->elements[1], Pid{}, Term()}});
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Term ops_term(const std::vector<Op>& ops) {
  std::vector<Term> items;
  items.reserve(ops.size());
  for (const Op& op : ops) {
    items.push_back(op.insert ? tuple(atom("insert"), name_term(op.entry))
                              : tuple(atom("delete"), op.entry.name));
  }
  return Term::list(std::move(items));
}

std::optional<std::vector<std::pair<std::string, int64_t>>> parse_known(const Term& list) {
  const auto* items = proper_list(list);
  if (items == nullptr) return std::nullopt;
  std::vector<std::pair<std::string, int64_t>> out;
  for (const Term& item : *items) {
    if (const Atom* node = item.get_if<Atom>()) {
      out.emplace_back(node->name, 0);
      continue;
    }
    const Tuple* t = tuple_of(item, 2);
    const Atom* node = t != nullptr ? t->elements[0].get_if<Atom>() : nullptr;
    const int64_t* vsn = t != nullptr ? t->elements[1].get_if<int64_t>() : nullptr;
    if (node == nullptr || vsn == nullptr) return std::nullopt;
    out.emplace_back(node->name, *vsn);
  }
  return out;
}

Term known_term(const std::vector<std::pair<std::string, int64_t>>& known) {
  std::vector<Term> items;
  items.reserve(known.size());
  for (const auto& [node, vsn] : known) items.push_back(tuple(atom(node), Term(vsn)));
  return Term::list(std::move(items));
}

Term node_list_term(const std::vector<std::string>& nodes) {
  std::vector<Term> items;
  items.reserve(nodes.size());
  for (const std::string& n : nodes) items.push_back(atom(n));
  return Term::list(std::move(items));
}

std::optional<std::pair<Term, Term>> parse_lock_id(const Term& id) {
  const Tuple* t = tuple_of(id, 2);
  if (t == nullptr) return std::nullopt;
  return std::pair{t->elements[0], t->elements[1]};
}

Term default_method() {
  return Term(ExportFun{Atom("global"), Atom("random_exit_name"), 3});
}

}  // namespace beamlink::node::global
