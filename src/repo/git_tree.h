#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

struct git_repository;

namespace plinth::repo {

// Read-only access to the files of a git repository at a revision (libgit2), for comparing
// pointer files across commits without touching the work tree.
class GitTree {
 public:
  // Opens the git repository whose work tree contains `workspace_root`. Throws Error(kNotFound)
  // when there is none.
  explicit GitTree(const std::filesystem::path& workspace_root);
  ~GitTree();
  GitTree(const GitTree&) = delete;
  GitTree& operator=(const GitTree&) = delete;

  // Files at `rev` (any git revision: HEAD, a branch, a tag, a sha, HEAD~1) under the workspace
  // root whose names end in `suffix`, as (path relative to the workspace root, contents),
  // sorted by path. Throws Error(kNotFound) naming `rev` when it does not resolve.
  std::vector<std::pair<std::string, std::string>> files_ending_with(const std::string& rev,
                                                                     const std::string& suffix);

 private:
  git_repository* repo_ = nullptr;
  std::string prefix_;  // the workspace root relative to the git work tree, "" or "sub/"
};

}  // namespace plinth::repo
