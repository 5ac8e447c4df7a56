#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct git_repository;

namespace plinth::experiments::internal {

// The few git operations experiments need, over libgit2. One handle per thread: libgit2 allows
// several handles on one repository at once, but not one handle shared between threads.
class GitRepo {
 public:
  // Opens the repository whose work tree is `root`. Throws Error(kNotFound) when there is none.
  explicit GitRepo(const std::filesystem::path& root);
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // The sha of HEAD's commit. Throws Error(kNotFound) when there is no commit yet.
  std::string head_commit();
  // The short name of HEAD's branch ("main"), or "" when HEAD is detached.
  std::string head_branch();
  // A revision's commit sha, or nullopt when it does not resolve.
  std::optional<std::string> resolve_commit(const std::string& rev);
  // Seconds since the epoch the commit was made.
  int64_t commit_time(const std::string& sha);
  std::string commit_tree(const std::string& sha);

  // The tree of `baseline` with the work tree's changes to the files git tracks (what
  // `git stash create` would record, without untracked files). Writes the changed blobs.
  std::string workspace_tree(const std::string& baseline);
  // Writes the files of `tree` into `dir` (which has no .git of its own). Returns how many
  // of them are DVC pointer files (*.dvc).
  size_t checkout_tree_to(const std::string& tree, const std::filesystem::path& dir);
  // `tree` with each of its files replaced by the version in `dir` (`git add -u`): files
  // modified after `since` are hashed, files missing from `dir` are removed.
  std::string tree_from_dir(const std::string& tree, const std::filesystem::path& dir,
                            std::filesystem::file_time_type since);
  // A commit of `tree` with parent `parent`, by the user's git identity (else "plinth").
  std::string commit(const std::string& tree, const std::string& parent,
                     const std::string& message);

  // Creates `ref` → sha; false (nothing changed) when the ref exists already.
  bool create_ref(const std::string& ref, const std::string& sha);
  void delete_ref(const std::string& ref);
  // (ref name, target sha) of every ref matching the glob, sorted by name.
  std::vector<std::pair<std::string, std::string>> refs(const std::string& glob);

  // Files that differ between two trees: (path, content at `to`, or nullopt when deleted).
  std::vector<std::pair<std::string, std::optional<std::string>>> changed_files(
      const std::string& from_tree, const std::string& to_tree);

 private:
  git_repository* repo_ = nullptr;
};

}  // namespace plinth::experiments::internal
