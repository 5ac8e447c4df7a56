#include "storage/files.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "core/error.h"

namespace plinth::storage {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kCoalesceGap = 64 << 10;      // ranges this close share a request
constexpr uint64_t kRequestBytes = 16ull << 20;  // larger requests are split, to run side by side
constexpr size_t kRequestsInFlight = 8;
constexpr uint64_t kUploadPartBytes = 16ull << 20;
constexpr size_t kPartsInFlight = 4;

class S3File : public RandomAccessFile {
 public:
  S3File(std::string uri, std::shared_ptr<S3Client> client, std::string key, uint64_t size)
      : uri_(std::move(uri)), client_(std::move(client)), key_(std::move(key)), size_(size) {}

  const std::string& uri() const override { return uri_; }
  uint64_t size() const override { return size_; }

  std::vector<std::string> read(const std::vector<Range>& ranges) override {
    // Requests: the ranges sorted, neighbours merged, the large cut into pieces.
    std::vector<size_t> order(ranges.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
    std::vector<S3Client::Range> requests;
    uint64_t start = 0, end = 0;
    auto flush = [&] {
      for (uint64_t at = start; at < end; at += kRequestBytes)
        requests.push_back({at, std::min(kRequestBytes, end - at)});
    };
    for (size_t i : order) {
      const Range& r = ranges[i];
      if (r.offset + r.length > size_)
        throw Error(ErrorCode::kCorrupted,
                    uri_ + ": bytes " + std::to_string(r.offset) + "+" + std::to_string(r.length) +
                        " lie past the end of the object (" + std::to_string(size_) +
                        " bytes); it is truncated or was not completely written");
      if (r.length == 0) continue;
      if (end > start && r.offset <= end + kCoalesceGap) {
        end = std::max(end, r.offset + r.length);
      } else {
        flush();
        start = r.offset, end = r.offset + r.length;
      }
    }
    flush();
    std::vector<std::string> got = client_->get_ranges(key_, requests, kRequestsInFlight);
    for (size_t i = 0; i < requests.size(); ++i)
      if (got[i].size() != requests[i].length)
        throw Error(ErrorCode::kCorrupted,
                    uri_ + ": asked for " + std::to_string(requests[i].length) + " bytes at " +
                        std::to_string(requests[i].offset) + " and got " +
                        std::to_string(got[i].size()) + "; the object changed while being read");
    // Each range copied out of the requests that cover it.
    std::vector<std::string> out(ranges.size());
    size_t first = 0;
    for (size_t i : order) {
      const Range& r = ranges[i];
      out[i].reserve(r.length);
      while (first < requests.size() && requests[first].offset + requests[first].length <= r.offset)
        ++first;
      for (size_t q = first; q < requests.size() && out[i].size() < r.length; ++q) {
        uint64_t at = r.offset + out[i].size();
        uint64_t from = at - requests[q].offset;
        uint64_t n = std::min<uint64_t>(r.length - out[i].size(), requests[q].length - from);
        out[i].append(got[q], from, n);
      }
    }
    return out;
  }

 private:
  std::string uri_;
  std::shared_ptr<S3Client> client_;
  std::string key_;
  uint64_t size_;
};

Listing list_local(const std::string& uri) {
  fs::path root(uri);
  std::error_code ec;
  auto status = fs::status(root, ec);
  if (!fs::exists(status)) throw Error(ErrorCode::kNotFound, "'" + uri + "' does not exist");
  Listing out;
  if (!fs::is_directory(status)) {
    out.files.push_back({uri, "", fs::file_size(root)});
    return out;
  }
  out.folder = true;
  for (auto it =
           fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file())
      out.files.push_back(
          {it->path().string(), fs::relative(it->path(), root).generic_string(), it->file_size()});
  std::sort(out.files.begin(), out.files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.relative < b.relative; });
  return out;
}

Listing list_s3(const std::string& uri) {
  S3Location where = parse_s3_uri(uri);
  auto client = s3_client_for(uri);
  std::string bucket_uri = "s3://" + where.bucket + "/";
  Listing out;
  std::string prefix = where.key;
  if (!prefix.empty() && !prefix.ends_with('/')) {
    std::vector<ObjectInfo> objects = client->list(prefix);
    for (const auto& o : objects)
      if (o.key == prefix) {
        out.files.push_back({uri, "", o.size});
        return out;
      }
    prefix += '/';
  }
  out.folder = true;
  for (const auto& o : client->list(prefix))
    if (!o.key.ends_with('/'))  // "folder" marker objects some tools create
      out.files.push_back({bucket_uri + o.key, o.key.substr(prefix.size()), o.size});
  if (out.files.empty())
    throw Error(ErrorCode::kNotFound, uri + ": no such object, and no objects under " + bucket_uri +
                                          prefix + " (check the bucket and key)");
  return out;
}

}  // namespace

bool is_s3_uri(std::string_view uri) { return uri.starts_with("s3://"); }

S3Location parse_s3_uri(const std::string& uri) {
  if (!is_s3_uri(uri) || uri.size() == 5 || uri[5] == '/')
    throw Error(ErrorCode::kInvalidInput, "'" + uri + "' is not of the form s3://bucket/key");
  std::string rest = uri.substr(5);
  auto slash = rest.find('/');
  if (slash == std::string::npos) return {rest, ""};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

std::shared_ptr<S3Client> s3_client_for(const std::string& uri) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<S3Client>> clients;
  S3Location where = parse_s3_uri(uri);
  std::lock_guard lock(mutex);
  auto& client = clients[where.bucket];
  if (!client) {
    std::string bucket_uri = "s3://" + where.bucket;
    client = std::make_shared<S3Client>(resolve_s3_uri_settings(bucket_uri, process_environment()),
                                        bucket_uri);
  }
  return client;
}

Listing list_files(const std::string& uri) {
  return is_s3_uri(uri) ? list_s3(uri) : list_local(uri);
}

std::unique_ptr<RandomAccessFile> open_s3_file(const std::string& uri,
                                               std::optional<uint64_t> size) {
  S3Location where = parse_s3_uri(uri);
  auto client = s3_client_for(uri);
  if (!size) size = client->head(where.key);
  if (!size)
    throw Error(ErrorCode::kNotFound,
                uri + ": no such object (check the key; a prefix needs a trailing '/')");
  return std::make_unique<S3File>(uri, std::move(client), where.key, *size);
}

std::string read_s3_object(const std::string& uri) {
  auto file = open_s3_file(uri);
  return std::move(file->read({{0, file->size()}})[0]);
}

void upload_file(const fs::path& src, const std::string& uri) {
  S3Location where = parse_s3_uri(uri);
  if (where.key.empty() || where.key.ends_with('/'))
    throw Error(ErrorCode::kInvalidInput, uri + ": name an object to write, not a prefix");
  s3_client_for(uri)->put_multipart(where.key, src, fs::file_size(src), kUploadPartBytes,
                                    kPartsInFlight, {});
}

}  // namespace plinth::storage
