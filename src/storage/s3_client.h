#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"
#include "storage/s3_settings.h"

namespace plinth::storage {

// Reports bytes moved, as they move.
using ByteCounter = std::function<void(uint64_t)>;

struct ObjectInfo {
  std::string key;  // the whole key in the bucket
  uint64_t size = 0;
};

// Objects at or above this size are uploaded in parts.
constexpr uint64_t kMultipartThreshold = 64ull << 20;

// One bucket of an S3-compatible store, spoken to with AWS Signature V4 over libcurl. Keys are
// whole keys in the bucket (no prefix is added). Safe to call from several threads at once:
// each request borrows an idle connection or opens one, so requests run side by side.
// Failures throw Error naming `subject` (e.g. "remote 'r' (s3://b/p)" or "s3://b/k") with the
// server's code: kNotFound for a missing bucket or key, kPermission for refused credentials.
class S3Client {
 public:
  S3Client(S3Settings settings, std::string subject);
  ~S3Client();

  const std::string& subject() const { return subject_; }
  const S3Settings& settings() const { return s_; }

  // The object's size, or nullopt when there is no such key.
  std::optional<uint64_t> head(const std::string& key);
  // Every object whose key starts with `prefix`, in key order.
  std::vector<ObjectInfo> list(const std::string& prefix);
  // Streams the object to `sink`.
  void get(const std::string& key, const http::Sink& sink);
  // Bytes [offset, offset + length) of the object; fewer only at its end.
  std::string get_range(const std::string& key, uint64_t offset, uint64_t length);
  // Several ranges of one object, `in_flight` requests at a time; results in request order.
  struct Range {
    uint64_t offset = 0, length = 0;
  };
  std::vector<std::string> get_ranges(const std::string& key, const std::vector<Range>& ranges,
                                      size_t in_flight);

  // Stores `size` bytes of the file `src` under `key`: one PUT (with Content-MD5 when
  // `md5_hex` is given), or from kMultipartThreshold up a multipart upload. Either way the
  // object appears complete or not at all.
  void put_file(const std::string& key, const std::filesystem::path& src, uint64_t size,
                const std::string& md5_hex, const ByteCounter& sent);
  // A multipart upload of the file, whatever its size; parts of `part_size` bytes (at least
  // 5 MiB, S3's minimum), `in_flight` at a time. A failed upload is aborted so no parts linger;
  // a killed process leaves an incomplete upload, which is invisible (a bucket lifecycle rule
  // AbortIncompleteMultipartUpload cleans those up).
  void put_multipart(const std::string& key, const std::filesystem::path& src, uint64_t size,
                     uint64_t part_size, size_t in_flight, const ByteCounter& sent);

 private:
  class Lease;
  http::Response call(const std::string& method, const std::string& key,
                      const std::vector<std::pair<std::string, std::string>>& query,
                      http::Headers headers, const http::Body& body = {},
                      const http::Sink* sink = nullptr, const ByteCounter& sent = {});
  void check(const http::Response& r, const std::string& what) const;

  S3Settings s_;
  std::string subject_;
  std::string host_, base_url_, base_path_;
  std::mutex clients_mutex_;
  std::vector<std::unique_ptr<http::Client>> idle_;
};

}  // namespace plinth::storage
