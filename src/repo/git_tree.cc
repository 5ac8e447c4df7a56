#include "repo/git_tree.h"

#include <git2.h>

#include <algorithm>

#include "core/error.h"
#include "core/paths.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

std::string git_message() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

struct WalkState {
  git_repository* repo;
  std::string prefix;
  std::string suffix;
  std::vector<std::pair<std::string, std::string>> files;
  std::string error;
};

int collect(const char* root, const git_tree_entry* entry, void* payload) {
  auto* state = static_cast<WalkState*>(payload);
  std::string path = std::string(root) + git_tree_entry_name(entry);
  if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
    // Descend only where the workspace is.
    std::string dir = path + "/";
    bool relevant = dir.starts_with(state->prefix) || state->prefix.starts_with(dir);
    return relevant ? 0 : 1;
  }
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || !path.starts_with(state->prefix) ||
      !path.ends_with(state->suffix))
    return 0;
  git_blob* blob = nullptr;
  if (git_blob_lookup(&blob, state->repo, git_tree_entry_id(entry)) != 0) {
    state->error = path + ": " + git_message();
    return -1;
  }
  state->files.emplace_back(path.substr(state->prefix.size()),
                            std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                                        static_cast<size_t>(git_blob_rawsize(blob))));
  git_blob_free(blob);
  return 0;
}

}  // namespace

GitTree::GitTree(const fs::path& workspace_root) {
  git_libgit2_init();
  if (git_repository_open_ext(&repo_, workspace_root.c_str(), 0, nullptr) != 0)
    throw Error(ErrorCode::kNotFound, "'" + workspace_root.string() +
                                          "' is not in a git repository, so revisions cannot "
                                          "be compared; run 'git init' and commit first");
  const char* workdir = git_repository_workdir(repo_);
  if (workdir) {
    auto rel = core::relative_posix(workdir, workspace_root);
    if (rel && *rel != ".") prefix_ = *rel + "/";
  }
}

GitTree::~GitTree() {
  git_repository_free(repo_);
  git_libgit2_shutdown();
}

std::vector<std::pair<std::string, std::string>> GitTree::files_ending_with(
    const std::string& rev, const std::string& suffix) {
  if (rev == "HEAD" && git_repository_head_unborn(repo_) == 1) return {};  // no commits yet
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo_, rev.c_str()) != 0)
    throw Error(ErrorCode::kNotFound, "git revision '" + rev + "' not found (" + git_message() +
                                          "); check 'git log' for valid revisions");
  git_tree* tree = nullptr;
  int rc = git_object_peel(reinterpret_cast<git_object**>(&tree), obj, GIT_OBJECT_TREE);
  git_object_free(obj);
  if (rc != 0)
    throw Error(ErrorCode::kInvalidInput, "git revision '" + rev + "' does not name a commit");
  WalkState state{repo_, prefix_, suffix, {}, {}};
  rc = git_tree_walk(tree, GIT_TREEWALK_PRE, collect, &state);
  git_tree_free(tree);
  if (rc < 0 && !state.error.empty())
    throw Error(ErrorCode::kIo, "reading git revision '" + rev + "': " + state.error);
  std::sort(state.files.begin(), state.files.end());
  return state.files;
}

}  // namespace plinth::repo
