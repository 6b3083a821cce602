#include "node/services.h"

#include "node/pg/pg_service.h"
#include "node/runtime.h"

namespace beamlink::node {

Result<void> Services::start(const std::shared_ptr<Runtime>& runtime) {
  gen_server = std::make_unique<GenServerService>(runtime, *this);
  auto groups = pg::PgService::start(runtime);
  if (!groups) return std::unexpected(groups.error());
  pg = std::move(*groups);
  if (auto started = global->start(runtime, runtime->options().hidden); !started) return started;
  whereis_global = [g = std::weak_ptr(global)](std::string_view name) -> std::optional<Pid> {
    auto service = g.lock();
    return service ? service->whereis_atom(name) : std::nullopt;
  };
  return {};
}

void Services::stop() {
  if (pg) pg->stop();
  global->stop();
}

}  // namespace beamlink::node
