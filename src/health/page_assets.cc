#include "health/page_assets.h"

namespace beamlink::health {
namespace {

std::string_view content_type_of(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

std::optional<PageAsset> find_page_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  for (const EmbeddedFile& file : embedded_web_files()) {
    if (file.name == path) return PageAsset{content_type_of(file.name), file.bytes};
  }
  return std::nullopt;
}

}  // namespace beamlink::health
