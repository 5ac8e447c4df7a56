#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "repo/cache.h"
#include "repo/config.h"
#include "repo/ignore.h"
#include "repo/pointer_file.h"
#include "repo/scan.h"
#include "repo/stat_cache.h"

namespace plinth::repo {

struct AddOptions {
  size_t jobs = 0;  // hashing/copying threads; 0: one per core
};

// One output whose workspace state differs from its pointer file.
struct OutputChange {
  std::string path;    // repo-relative
  std::string status;  // "new", "modified", "deleted" or "not in cache"
};
struct PointerStatus {
  std::string pointer;  // repo-relative path of the .dvc file
  std::vector<OutputChange> changed_outs;
};

struct CheckoutOptions {
  bool force = false;  // overwrite or delete workspace files whose content is not in the cache
  size_t jobs = 0;
};
struct CheckoutSummary {
  size_t added = 0, modified = 0, deleted = 0;
};

struct GcResult {
  std::vector<std::string> removed;  // object ids
  uint64_t bytes = 0;
};

// An entry of `plinth ls`, in DVC's `list --json` shape.
struct ListEntry {
  std::string path;
  bool isout = false;  // tracked by a pointer file (or inside a tracked directory)
  bool isdir = false;
  bool isexec = false;
  std::optional<int64_t> size;
  std::string md5;  // for tracked entries
};

// Which remote to use and how hard to push it.
struct TransferOptions {
  std::string remote;  // a remote's name; empty: the default remote (core.remote)
  size_t jobs = 0;     // parallel transfers; 0: the remote's `jobs`, else 4 per core for S3
};
struct TransferResult {
  std::string remote;      // described for messages
  size_t transferred = 0;  // objects moved
  uint64_t bytes = 0;
  size_t up_to_date = 0;  // objects already where they were to go
};

// A cache object an output needs, named by the workspace path it is for.
struct ObjectRef {
  std::string oid;
  bool legacy = false;
  std::string path;    // output, or output/relpath for a file of a tracked directory
  std::string remote;  // the output's own `remote:`, if it names one
};

// `status --cloud`: objects not in both places. "new": only in the cache; "deleted": only on
// the remote; "missing": in neither.
struct CloudStatus {
  std::string remote;                                        // the remote's name
  std::vector<std::pair<std::string, std::string>> entries;  // path, status
};

// A loaded pointer file and where it is.
struct TrackedPointer {
  std::string rel;  // repo-relative path of the .dvc file
  std::filesystem::path path;
  PointerFile file;
  // Repo-relative path of output `i`.
  std::string out_rel(size_t i) const;
};

// A DVC workspace: the directory holding `.dvc/`, its config, cache, pointer files and the
// files they track. Commands that write take the repository lock for their duration.
class Workspace {
 public:
  // Finds the workspace containing `start` (it or a parent holds `.dvc/`).
  static Workspace open(const std::filesystem::path& start);
  // Creates `.dvc/` (config, .gitignore, tmp/, cache/) and `.dvcignore` in `dir`. Without
  // `no_scm`, `dir` must be the top of a git work tree.
  static void init(const std::filesystem::path& dir, bool no_scm, bool force);

  Workspace(Workspace&&) = default;
  ~Workspace();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path dvc_dir() const { return root_ / ".dvc"; }
  ObjectCache& cache() { return *cache_; }
  // Whether the workspace is versioned with git (a .git here and core.no_scm unset), so
  // outputs get .gitignore entries.
  bool scm_enabled() const;

  // Hashes `targets` (files or directories), stores them in the cache and writes
  // `<target>.dvc` beside each. Every target is validated before anything is written.
  // Returns the repo-relative pointer files written.
  std::vector<std::string> add(const std::vector<std::string>& targets, const AddOptions& options);

  // Records the current content of the outputs of `targets` (pointer files or outputs; all
  // when empty) in their pointer files and the cache. Returns the pointer files changed.
  std::vector<std::string> commit(const std::vector<std::string>& targets,
                                  const AddOptions& options);

  // Pointer files whose outputs changed; empty when everything is up to date.
  std::vector<PointerStatus> status(const std::vector<std::string>& targets);

  // Makes the workspace match the pointer files. Throws before changing anything if an object
  // is missing or corrupted, or (without force) if uncommitted content would be lost.
  CheckoutSummary checkout(const std::vector<std::string>& targets, const CheckoutOptions& options);

  // Stops tracking: deletes the pointer file and its .gitignore entries; with `outs`, also the
  // workspace outputs.
  void remove(const std::vector<std::string>& pointer_files, bool outs);

  // Deletes cache objects that neither a pointer file in the workspace nor `also_used` (e.g.
  // the outputs dvc.lock records) uses.
  GcResult gc(bool dry_run, const std::vector<Output>& also_used = {});

  // What is at `path` (a directory, inside the workspace or a tracked directory).
  std::vector<ListEntry> list(const std::string& path, bool recursive, bool dvc_only);

  // Every pointer file in the workspace, sorted by path.
  std::vector<TrackedPointer> pointers();

  // Uploads the objects of `targets` (all pointer files when empty) that the remote lacks.
  // Objects missing from the cache are reported in an Error(kNotFound) after the rest went.
  // `also`: outputs recorded outside pointer files (dvc.lock), included when `targets` is empty.
  TransferResult push(const std::vector<std::string>& targets, const TransferOptions& options,
                      const std::vector<TrackedPointer>& also = {});
  // Downloads the objects of `targets` the cache lacks, each verified against its hash before
  // it enters the cache. Objects the remote lacks are reported in an Error after the rest.
  TransferResult fetch(const std::vector<std::string>& targets, const TransferOptions& options,
                       const std::vector<TrackedPointer>& also = {});
  CloudStatus cloud_status(const std::vector<std::string>& targets, const TransferOptions& options,
                           const std::vector<TrackedPointer>& also = {});

  // Hashes a workspace path (file or directory); with `store`, also copies its content into
  // the cache (call cache().sync() before writing anything that names the objects). A
  // `progress_label` shows a progress bar while files are read.
  Snapshot snapshot(const std::string& rel, bool store = false,
                    const std::string& progress_label = "");

  // "" when the workspace path `rel` matches `out`, else its DVC status word: "not in cache",
  // "deleted", "new" or "modified" (spec dvc-format.md §3.4).
  std::string output_state(const std::string& rel, const Output& out);

  // Adds `/name` to the .gitignore beside a pipeline output when git is in use, as for `add`.
  void ignore_output(const std::string& rel);

  // Replaces whatever is at `rel` by the content `out` names, linked from the cache with the
  // configured link types. The objects must be in the cache.
  void restore_output(const std::string& rel, const Output& out);

  // The manifest of a tracked directory from the cache, checked against its oid.
  std::vector<ManifestEntry> load_manifest(const std::string& oid, bool legacy = false);

  // Repo-relative '/'-path of a user-supplied path (relative to the current directory).
  // Throws Error naming the path when it is outside the workspace or inside `.dvc/`.
  std::string to_repo_rel(const std::string& user_path) const;

 private:
  explicit Workspace(std::filesystem::path root);

  std::vector<TrackedPointer> select_pointers(const std::vector<std::string>& targets);
  // select_pointers(targets), plus `also` when no targets are named.
  std::vector<TrackedPointer> transfer_pointers(const std::vector<std::string>& targets,
                                                const std::vector<TrackedPointer>& also);
  // Every object the outputs of `pointers` need, directories' files included, each once.
  // Directories whose manifest is not in the cache go to `unreadable_dirs` (when given).
  std::vector<ObjectRef> used_objects(const std::vector<TrackedPointer>& pointers,
                                      std::vector<ObjectRef>* unreadable_dirs);
  void validate_add_target(const std::string& rel, const std::vector<TrackedPointer>& tracked);
  Output record_output(const std::string& rel, Output base, const AddOptions& options);
  void write_pointer(const TrackedPointer& pointer);
  // Replaces the workspace copy of a just-added output by links of the configured type.
  void relink_output(const std::string& rel, const Output& out, const std::vector<LinkType>& types);
  std::vector<LinkType> link_types() const;

  std::filesystem::path root_;
  Config config_;
  std::unique_ptr<ObjectCache> cache_;
  std::unique_ptr<StatCache> stat_cache_;
  std::unique_ptr<IgnoreRules> ignore_;
};

}  // namespace plinth::repo
