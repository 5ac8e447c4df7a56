#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::repo {

// The rules that make paths invisible to Plinth, as DVC applies them (spec dvc-format.md §4.3):
// gitignore syntax in `.dvcignore` files found in any directory of the workspace, plus the
// always-ignored `.git`, `.hg`, `.dvc` and any subdirectory holding its own `.dvc/` (a
// sub-repository). A path is ignored when it or any of its parent directories is ignored.
//
// Not thread-safe: `.dvcignore` files are read lazily and memoised on first use.
class IgnoreRules {
 public:
  explicit IgnoreRules(std::filesystem::path root);
  ~IgnoreRules();

  // `rel_path`: relative to the root, '/'-separated, no leading "./" ("" is the root itself,
  // never ignored). `is_dir` says whether the last component is a directory.
  bool is_ignored(std::string_view rel_path, bool is_dir);

 private:
  struct Pattern;
  // The patterns of one `.dvcignore`, applied to the components of a path below its directory.
  struct Scope {
    std::size_t depth;  // components in the directory holding the `.dvcignore`
    const std::vector<Pattern>* patterns;
  };
  using Scopes = std::vector<Scope>;

  const std::vector<Pattern>& patterns_of(const std::string& dir);
  const Scopes& scopes_of(std::string_view dir);
  bool dir_ignored(std::string_view dir);
  bool matches_last_component(const Scopes& scopes, std::string_view rel_path, bool is_dir);

  std::filesystem::path root_;
  std::map<std::string, std::vector<Pattern>> by_dir_;
  std::map<std::string, bool, std::less<>> dir_ignored_;
  // Every `.dvcignore` that applies below a directory, outermost first; only for directories that
  // are not ignored.
  std::map<std::string, Scopes, std::less<>> scopes_;
  std::vector<std::string_view> components_;  // scratch, reused to avoid a per-call allocation
  // A walk asks about many files of one directory in a row; remembering that directory's answer
  // skips the map look-ups.
  std::string last_dir_;
  bool has_last_dir_ = false;
  bool last_dir_ignored_ = false;
  const Scopes* last_scopes_ = nullptr;
};

}  // namespace plinth::repo
