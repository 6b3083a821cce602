// PgService::metrics: member counts per scope and group, for /metrics.
// Groups are labelled by their term as Erlang prints it; at most
// kMaxGroupsPerScope of them are listed (in text order), all are summed.
#include <algorithm>

#include "beamlink/term_text.h"
#include "node/pg/pg_service.h"
#include "node/pg/scope.h"

namespace beamlink::node::pg {

std::vector<ScopeMetrics> PgService::metrics() const {
  std::vector<std::shared_ptr<Scope>> scopes;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, scope] : scopes_) scopes.push_back(scope);
  }
  std::vector<ScopeMetrics> out;
  for (const auto& scope : scopes) {  // in name order: scopes_ is a map
    ScopeMetrics metrics;
    metrics.scope = scope->scope();
    std::vector<GroupMetrics> groups;
    for (const Term& group : scope->which_groups()) {
      GroupMetrics g{format_term(group), scope->get_members(group).size(),
                     scope->get_local_members(group).size()};
      metrics.members += g.members;
      metrics.local_members += g.local_members;
      groups.push_back(std::move(g));
    }
    metrics.groups = groups.size();
    std::sort(groups.begin(), groups.end(),
              [](const GroupMetrics& a, const GroupMetrics& b) { return a.group < b.group; });
    if (groups.size() > kMaxGroupsPerScope) groups.resize(kMaxGroupsPerScope);
    metrics.listed = std::move(groups);
    out.push_back(std::move(metrics));
  }
  return out;
}

}  // namespace beamlink::node::pg
