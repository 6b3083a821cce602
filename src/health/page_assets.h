// health/page_assets.h - the cluster page's files (web/), compiled in.
//
// embedded_web_files() is generated at build time by
// cmake/embed_files.cmake from the files under web/; find_page_asset()
// maps a request path to one of them with its content type ("/" is
// index.html). The bytes live for the whole program.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace beamlink::health {

struct EmbeddedFile {
  std::string_view name;  // path under web/, "index.html"
  std::string_view bytes;
};

std::span<const EmbeddedFile> embedded_web_files();

struct PageAsset {
  std::string_view content_type;
  std::string_view body;
};

std::optional<PageAsset> find_page_asset(std::string_view path);

}  // namespace beamlink::health
