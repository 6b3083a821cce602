#include "node/services.h"

#include "node/pg/pg_service.h"
#include "node/runtime.h"

namespace beamlink::node {

Result<void> Services::start(const std::shared_ptr<Runtime>& runtime) {
  auto groups = pg::PgService::start(runtime);
  if (!groups) return std::unexpected(groups.error());
  pg = std::move(*groups);
  return {};
}

void Services::stop() {
  if (pg) pg->stop();
}

}  // namespace beamlink::node
