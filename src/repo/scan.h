#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "repo/cache.h"
#include "repo/ignore.h"
#include "repo/manifest.h"
#include "repo/stat_cache.h"

namespace plinth::repo {

// A regular file (or symlink to one) found under a tracked path.
struct ScannedFile {
  std::string relpath;  // relative to the scanned directory, '/'-separated
  std::filesystem::path path;
  struct stat st;  // of the file itself (a symlink's target)
};

// Lists the files under `dir` as DVC builds a directory manifest (spec dvc-format.md §1.3):
// regular files and symlinks to files, no symlinked directories, ignored paths skipped.
// `dir_rel` is `dir` relative to the workspace root, for the ignore rules. Throws Error naming
// the path for a symlink loop, a dangling symlink, an unreadable directory or a `.dvcignore`
// inside `dir`.
std::vector<ScannedFile> scan_directory(const std::filesystem::path& dir,
                                        const std::string& dir_rel, IgnoreRules& ignore);

// What hashing a tracked path found: a file's md5, or a directory's "<md5>.dir" with its
// manifest. `exists` is false when nothing is at the path.
struct Snapshot {
  bool exists = false;
  bool is_dir = false;
  std::string md5;
  int64_t size = 0;
  int64_t nfiles = 0;
  bool isexec = false;
  std::vector<ManifestEntry> entries;  // directories only, sorted
  std::string manifest;                // directories only: the `.dir` object's bytes
};

struct HashOptions {
  size_t jobs = 0;             // 0: one per core
  bool store = false;          // also copy every file (and the manifest) into the cache
  bool legacy = false;         // DVC 2.x md5-dos2unix file hashes (never stored or cached)
  std::string progress_label;  // empty: no progress bar
};

// Hashes `path` (a file or directory), using and refreshing the stat cache so unchanged files
// are not read again. With `store`, every object ends up in `cache`.
Snapshot snapshot_path(const std::filesystem::path& path, const std::string& rel,
                       IgnoreRules& ignore, StatCache& stat_cache, ObjectCache& cache,
                       const HashOptions& options);

// md5s of `files`, in parallel; see snapshot_path.
std::vector<std::string> hash_files(const std::vector<ScannedFile>& files, StatCache& stat_cache,
                                    ObjectCache& cache, const HashOptions& options);

}  // namespace plinth::repo
