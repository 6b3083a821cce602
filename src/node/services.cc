#include "node/services.h"

#include "node/runtime.h"

namespace beamlink::node {

Result<void> Services::start(const std::shared_ptr<Runtime>& runtime) {
  gen_server = std::make_unique<GenServerService>(runtime, *this);
  return {};
}

void Services::stop() {}

}  // namespace beamlink::node
