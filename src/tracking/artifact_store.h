#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plinth::tracking {

struct FileInfo {
  std::string path;  // relative to the listed folder's root, '/'-separated
  bool is_dir = false;
  int64_t file_size = 0;  // files only
};

// Where run and model artifacts live: a local folder or an S3 prefix. Paths are '/'-separated
// and relative to the root; callers pass them through checked_artifact_path first. Safe to use
// from several threads.
class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  // Writes `bytes` at `path` (creating parents, replacing a file), atomically.
  virtual void put(const std::string& path, std::string_view bytes) = 0;
  // The file's bytes, or nullopt when `path` is not a file.
  virtual std::optional<std::string> get(const std::string& path) = 0;
  // The direct children of folder `path` ("" = the root), names only; empty when `path` is a
  // file or absent.
  virtual std::vector<FileInfo> list(const std::string& path) = 0;
  // Removes a file or a whole folder; absent paths are not an error.
  virtual void remove(const std::string& path) = 0;
};

// A folder (created when missing) or "s3://bucket/prefix" (credentials and endpoint from the
// usual AWS_* environment variables, as the S3 remote reads them).
std::unique_ptr<ArtifactStore> open_artifact_store(const std::string& destination);

// `path` normalised, or Error(kInvalidInput) when it is absolute, has a '..' segment, a
// backslash or NUL, or still contains percent-escapes of such things after one decoding.
std::string checked_artifact_path(const std::string& path);

}  // namespace plinth::tracking

namespace plinth::tracking {

// The artifact-store path an "mlflow-artifacts:/x/y" (or "mlflow-artifacts://host:port/x/y")
// URI names: "x/y". Throws Error(kInvalidInput) for other schemes.
std::string proxied_path(const std::string& artifact_uri);

}  // namespace plinth::tracking
