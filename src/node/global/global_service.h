// node/global/global_service.h - global on a beamlink node: starts the
// global_name_server process and the locker (visible nodes only), registers
// the rpc built-ins global:whereis_name/1, global:registered_names/0 and
// global:resolve_it/4, and implements the public beamlink::Global API.
//
// Thread safety: see beamlink/global.h. start() once from Services::start;
// stop() before the runtime stops (idempotent).
#pragma once

#include <memory>
#include <mutex>

#include "beamlink/global.h"
#include "node/global/global_server.h"
#include "node/global/locker.h"
#include "node/global/shared_state.h"

namespace beamlink::node {
class Runtime;
}

namespace beamlink::node::global {

class GlobalService final : public beamlink::Global {
 public:
  ~GlobalService() override { stop(); }
  Result<void> start(const std::shared_ptr<Runtime>& runtime, bool hidden);
  void stop();
  std::optional<Pid> whereis_atom(std::string_view name) const {
    return shared_->whereis(Term::atom(name));
  }

  bool enabled() const override { return enabled_; }
  Result<void> register_name(const Term& name, const Pid& pid) override;
  Result<void> unregister_name(const Term& name) override;
  std::optional<Pid> whereis_name(const Term& name) const override {
    return shared_->whereis(name);
  }
  bool send(const Term& name, Term message) override;
  std::vector<Term> registered_names() const override;
  void set_resolve_policy(ResolvePolicy policy) override;
  bool set_lock(Process& holder, const Term& id, std::vector<std::string> nodes,
                std::optional<unsigned> retries) override;
  void del_lock(Process& holder, const Term& id, std::vector<std::string> nodes) override;
  Result<void> trans(const Term& resource, const std::function<void()>& fn,
                     std::vector<std::string> nodes, std::optional<unsigned> retries) override;

 private:
  void register_builtins();
  std::vector<std::string> default_nodes() const;
  // Runs fn(nodes) under {global, Temp} on every known node (the registrar).
  Result<bool> trans_all_known(
      const std::function<bool(Process&, const std::vector<std::string>&)>& fn);

  std::shared_ptr<Runtime> rt_;
  std::shared_ptr<SharedState> shared_ = std::make_shared<SharedState>();
  std::shared_ptr<GlobalServer> server_;
  std::unique_ptr<Locker> locker_;
  bool enabled_ = false;
  std::once_flag stop_once_;
};

}  // namespace beamlink::node::global
