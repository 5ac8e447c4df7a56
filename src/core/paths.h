#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace plinth::core {

// Paths Plinth writes into files (pointer files, manifests, JSON output) are relative and use
// '/' on every platform, as DVC writes them.

// `path` relative to `base` with '/' separators, or nullopt when it lies outside `base`. Both
// are made absolute and lexically normalised first; symlinks are not resolved, so a path is
// judged by where the user said it is.
std::optional<std::string> relative_posix(const std::filesystem::path& base,
                                          const std::filesystem::path& path);

// Absolute, lexically normal form of `path` (relative paths are taken from the current
// directory), without a trailing separator.
std::filesystem::path absolute_normal(const std::filesystem::path& path);

}  // namespace plinth::core
