#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3_client.h"

// Files by URI: local paths and s3://bucket/key objects. S3 credentials, region and endpoint
// come from the environment and the AWS shared files, as for remotes (see s3_settings.h).
namespace plinth::storage {

bool is_s3_uri(std::string_view uri);

struct S3Location {
  std::string bucket, key;  // key may be empty (the whole bucket) or end in '/'
};
// Throws Error(kInvalidInput) naming `uri` when it is not s3://bucket[/key].
S3Location parse_s3_uri(const std::string& uri);

// The client for the bucket of `uri`: one per bucket for the whole process, so connections
// are reused across files.
std::shared_ptr<S3Client> s3_client_for(const std::string& uri);

struct FileEntry {
  std::string uri;       // the file's own path or s3:// URI
  std::string relative;  // its path below the folder or prefix listed ("" for a single file)
  uint64_t size = 0;
};

// What `uri` names. A local file or an S3 object: that one file (`folder` false). A local
// folder, an s3:// URI ending in '/', or one with no object of its own but objects under
// "key/": every file under it, recursively, in name order (`folder` true). Throws
// Error(kNotFound) naming `uri` when there is nothing there.
struct Listing {
  bool folder = false;
  std::vector<FileEntry> files;
};
Listing list_files(const std::string& uri);

// Random access to the bytes of an object.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual const std::string& uri() const = 0;
  virtual uint64_t size() const = 0;
  struct Range {
    uint64_t offset = 0, length = 0;
  };
  // The bytes of each range, in order. Ranges closer together than a small gap are fetched in
  // one request; requests run several at a time.
  virtual std::vector<std::string> read(const std::vector<Range>& ranges) = 0;
};

// An S3 object by URI; `size` saves a HEAD request when the caller knows it (from a listing).
// Throws Error(kNotFound) naming the URI when there is no such object.
std::unique_ptr<RandomAccessFile> open_s3_file(const std::string& uri,
                                               std::optional<uint64_t> size = std::nullopt);

// The whole object at `uri`.
std::string read_s3_object(const std::string& uri);

// Stores the local file `src` at the s3:// `uri` as a multipart upload, several parts in
// flight: the object appears only once complete, and a failed upload is aborted.
void upload_file(const std::filesystem::path& src, const std::string& uri);

}  // namespace plinth::storage
