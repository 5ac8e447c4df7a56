#include "core/paths.h"

namespace plinth::core {
namespace fs = std::filesystem;

fs::path absolute_normal(const fs::path& path) {
  fs::path p = fs::absolute(path).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

std::optional<std::string> relative_posix(const fs::path& base, const fs::path& path) {
  fs::path rel = absolute_normal(path).lexically_relative(absolute_normal(base));
  if (rel.empty()) return std::nullopt;
  auto first = rel.begin();
  if (*first == "..") return std::nullopt;
  return rel.generic_string();
}

}  // namespace plinth::core
