// node/pg/pg_service.h - the pg scopes of one node: the default scope `pg`
// (started with the node), named scopes started on first use, and the
// rpc built-ins pg:get_members/1,2, pg:get_local_members/1,2 and
// pg:which_groups/0,1, so `:rpc.call(beamlink_node, :pg, ...)` answers as
// an Erlang node would.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/node_metrics.h"
#include "beamlink/pg.h"
#include "beamlink/result.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::pg {

class Scope;

inline constexpr std::string_view kDefaultScope = "pg";

class PgService : public std::enable_shared_from_this<PgService> {
 public:
  // Starts the default scope and registers the rpc built-ins.
  static Result<std::shared_ptr<PgService>> start(const std::shared_ptr<Runtime>& runtime);
  explicit PgService(std::shared_ptr<Runtime> runtime) : rt_(std::move(runtime)) {}

  ProcessGroups& default_scope() { return *default_; }
  // The running scope `name`, started now if need be.
  Result<ProcessGroups*> scope(std::string_view name);
  // The running scope `name`, or nullptr (never starts one).
  ProcessGroups* find(std::string_view name) const;
  // Every running scope's groups and members (pg_metrics.cc).
  std::vector<ScopeMetrics> metrics() const;
  void stop();

 private:
  void register_builtins();

  std::shared_ptr<Runtime> rt_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Scope>, std::less<>> scopes_;  // guarded by mu_
  bool stopped_ = false;                                               // guarded by mu_
  ProcessGroups* default_ = nullptr;                                   // set once in start
};

}  // namespace beamlink::node::pg
