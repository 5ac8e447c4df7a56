#pragma once

#include <span>
#include <string_view>

namespace plinth::server::internal {

// One file of the built web UI (web/), embedded at build time by scripts/embed_ui.py.
struct UiAsset {
  std::string_view path;  // "/index.html", "/assets/index-1a2b3c.js"
  std::string_view content_type;
  std::string_view data;
};

std::span<const UiAsset> ui_assets();

}  // namespace plinth::server::internal
