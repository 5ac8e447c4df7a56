#include "experiments/internal/git_repo.h"

#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::experiments::internal {
namespace fs = std::filesystem;

namespace {

std::string git_message() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

void check(int rc, const std::string& what) {
  if (rc < 0) throw Error(ErrorCode::kIo, "git: " + what + ": " + git_message());
}

git_oid parse_oid(const std::string& sha) {
  git_oid oid;
  check(git_oid_fromstr(&oid, sha.c_str()), "bad object id '" + sha + "'");
  return oid;
}

std::string to_hex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using Index = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using Diff = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;
using Blob = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;

Tree lookup_tree(git_repository* repo, const std::string& sha) {
  git_tree* tree = nullptr;
  git_oid oid = parse_oid(sha);
  check(git_tree_lookup(&tree, repo, &oid), "tree " + sha);
  return Tree(tree);
}

Commit lookup_commit(git_repository* repo, const std::string& sha) {
  git_commit* commit = nullptr;
  git_oid oid = parse_oid(sha);
  check(git_commit_lookup(&commit, repo, &oid), "commit " + sha);
  return Commit(commit);
}

// An in-memory index holding `tree`, for building a changed copy of it.
Index index_of(git_repository* repo, const std::string& tree) {
  git_index* index = nullptr;
  check(git_index_new(&index), "new index");
  Index owned(index);
  check(git_index_read_tree(index, lookup_tree(repo, tree).get()), "read tree " + tree);
  return owned;
}

std::string write_tree(git_repository* repo, git_index* index) {
  git_oid oid;
  check(git_index_write_tree_to(&oid, index, repo), "write tree");
  return to_hex(&oid);
}

void add_blob(git_index* index, const char* path, const git_oid& id, uint32_t mode) {
  git_index_entry entry{};
  entry.mode = mode;
  entry.id = id;
  entry.path = path;
  check(git_index_add(index, &entry), std::string("stage ") + path);
}

struct WriteState {
  git_repository* repo;
  fs::path dir;
  std::string error;
  size_t pointers = 0;
};

int write_entry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* state = static_cast<WriteState*>(payload);
  fs::path path = state->dir / (std::string(root) + git_tree_entry_name(entry));
  git_filemode_t mode = git_tree_entry_filemode(entry);
  try {
    if (mode == GIT_FILEMODE_TREE) {
      fs::create_directories(path);
      return 0;
    }
    if (mode == GIT_FILEMODE_COMMIT) return 0;  // submodules are not copied
    if (path.extension() == ".dvc") ++state->pointers;
    git_blob* raw = nullptr;
    check(git_blob_lookup(&raw, state->repo, git_tree_entry_id(entry)), path.string());
    Blob blob(raw);
    std::string_view data(static_cast<const char*>(git_blob_rawcontent(raw)),
                          static_cast<size_t>(git_blob_rawsize(raw)));
    if (mode == GIT_FILEMODE_LINK) {
      fs::create_symlink(std::string(data), path);
      return 0;
    }
    // A throwaway copy: written plainly, not fsynced (a crash just loses the experiment).
    mode_t file_mode = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666;
    core::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, file_mode));
    if (fd.get() < 0) throw system_error("create", path.string(), errno);
    core::write_all(fd.get(), data, path);
  } catch (const std::exception& e) {
    state->error = e.what();
    return -1;
  }
  return 0;
}

}  // namespace

GitRepo::GitRepo(const fs::path& root) {
  git_libgit2_init();
  if (git_repository_open_ext(&repo_, root.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    git_libgit2_shutdown();
    throw Error(ErrorCode::kNotFound, "experiments need a git repository at '" + root.string() +
                                          "': run 'git init' and commit the pipeline first");
  }
}

GitRepo::~GitRepo() {
  git_repository_free(repo_);
  git_libgit2_shutdown();
}

std::string GitRepo::head_commit() {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_, "HEAD") != 0)
    throw Error(ErrorCode::kNotFound,
                "the git repository has no commit yet: commit the pipeline (dvc.yaml, params) "
                "first, experiments start from HEAD");
  return to_hex(&oid);
}

std::string GitRepo::head_branch() {
  git_reference* head = nullptr;
  if (git_repository_head(&head, repo_) != 0) return "";
  std::string name = git_reference_is_branch(head) ? git_reference_shorthand(head) : "";
  git_reference_free(head);
  return name;
}

std::optional<std::string> GitRepo::resolve_commit(const std::string& rev) {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo_, rev.c_str()) != 0) return std::nullopt;
  git_object* commit = nullptr;
  int rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
  git_object_free(obj);
  if (rc != 0) return std::nullopt;
  std::string sha = to_hex(git_object_id(commit));
  git_object_free(commit);
  return sha;
}

int64_t GitRepo::commit_time(const std::string& sha) {
  return git_commit_time(lookup_commit(repo_, sha).get());
}

std::string GitRepo::commit_tree(const std::string& sha) {
  return to_hex(git_commit_tree_id(lookup_commit(repo_, sha).get()));
}

std::string GitRepo::workspace_tree(const std::string& baseline) {
  std::string base_tree = commit_tree(baseline);
  git_diff* raw = nullptr;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  check(
      git_diff_tree_to_workdir_with_index(&raw, repo_, lookup_tree(repo_, base_tree).get(), &opts),
      "compare the work tree with HEAD");
  Diff diff(raw);
  size_t n = git_diff_num_deltas(raw);
  if (n == 0) return base_tree;
  Index index = index_of(repo_, base_tree);
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(raw, i);
    if (d->status == GIT_DELTA_DELETED) {
      check(git_index_remove(index.get(), d->old_file.path, 0), d->old_file.path);
      continue;
    }
    git_oid id;
    check(git_blob_create_from_workdir(&id, repo_, d->new_file.path), d->new_file.path);
    add_blob(index.get(), d->new_file.path, id, d->new_file.mode);
  }
  return write_tree(repo_, index.get());
}

size_t GitRepo::checkout_tree_to(const std::string& tree, const fs::path& dir) {
  WriteState state{repo_, dir, "", 0};
  fs::create_directories(dir);
  int rc = git_tree_walk(lookup_tree(repo_, tree).get(), GIT_TREEWALK_PRE, write_entry, &state);
  if (!state.error.empty())
    throw Error(ErrorCode::kIo, "copying the workspace to " + dir.string() + ": " + state.error);
  check(rc, "copy tree " + tree);
  return state.pointers;
}

std::string GitRepo::tree_from_dir(const std::string& tree, const fs::path& dir,
                                   fs::file_time_type since) {
  Index index = index_of(repo_, tree);
  std::vector<std::string> removed;
  for (size_t i = 0; i < git_index_entrycount(index.get()); ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    fs::path path = dir / e->path;
    std::error_code ec;
    auto status = fs::symlink_status(path, ec);
    if (ec || !fs::exists(status)) {
      removed.push_back(e->path);
      continue;
    }
    if (fs::is_symlink(status) || fs::last_write_time(path, ec) < since || ec) continue;
    git_oid id;
    check(git_blob_create_from_disk(&id, repo_, path.c_str()), path.string());
    if (git_oid_equal(&id, &e->id)) continue;
    std::string rel = e->path;  // the entry is replaced below
    add_blob(index.get(), rel.c_str(), id, e->mode);
  }
  for (const auto& rel : removed) check(git_index_remove(index.get(), rel.c_str(), 0), rel);
  return write_tree(repo_, index.get());
}

std::string GitRepo::commit(const std::string& tree, const std::string& parent,
                            const std::string& message) {
  git_signature* sig = nullptr;
  if (git_signature_default(&sig, repo_) != 0)
    check(git_signature_now(&sig, "plinth", "plinth@localhost"), "signature");
  Tree t = lookup_tree(repo_, tree);
  Commit p = lookup_commit(repo_, parent);
  const git_commit* parents[] = {p.get()};
  git_oid oid;
  int rc = git_commit_create(&oid, repo_, nullptr, sig, sig, nullptr, message.c_str(), t.get(), 1,
                             parents);
  git_signature_free(sig);
  check(rc, "commit");
  return to_hex(&oid);
}

bool GitRepo::create_ref(const std::string& ref, const std::string& sha) {
  git_reference* out = nullptr;
  git_oid oid = parse_oid(sha);
  int rc = git_reference_create(&out, repo_, ref.c_str(), &oid, 0, "plinth: experiment");
  if (rc == GIT_EEXISTS) return false;
  check(rc, "create " + ref);
  git_reference_free(out);
  return true;
}

void GitRepo::delete_ref(const std::string& ref) {
  git_reference* r = nullptr;
  if (git_reference_lookup(&r, repo_, ref.c_str()) != 0) return;
  int rc = git_reference_delete(r);
  git_reference_free(r);
  check(rc, "delete " + ref);
}

std::vector<std::pair<std::string, std::string>> GitRepo::refs(const std::string& glob) {
  std::vector<std::string> names;
  auto collect = [](const char* name, void* payload) {
    static_cast<std::vector<std::string>*>(payload)->push_back(name);
    return 0;
  };
  check(git_reference_foreach_glob(repo_, glob.c_str(), collect, &names), "list " + glob);
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : names) {
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo_, name.c_str()) == 0)
      out.emplace_back(name, to_hex(&oid));
  }
  return out;
}

std::vector<std::pair<std::string, std::optional<std::string>>> GitRepo::changed_files(
    const std::string& from_tree, const std::string& to_tree) {
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo_, lookup_tree(repo_, from_tree).get(),
                              lookup_tree(repo_, to_tree).get(), nullptr),
        "compare trees");
  Diff diff(raw);
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (size_t i = 0; i < git_diff_num_deltas(raw); ++i) {
    const git_diff_delta* d = git_diff_get_delta(raw, i);
    if (d->status == GIT_DELTA_DELETED) {
      out.emplace_back(d->old_file.path, std::nullopt);
      continue;
    }
    git_blob* blob = nullptr;
    check(git_blob_lookup(&blob, repo_, &d->new_file.id), d->new_file.path);
    Blob owned(blob);
    out.emplace_back(d->new_file.path,
                     std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                                 static_cast<size_t>(git_blob_rawsize(blob))));
  }
  return out;
}

}  // namespace plinth::experiments::internal
