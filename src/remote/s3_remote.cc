#include "remote/s3_remote.h"

#include "core/error.h"
#include "core/thread_pool.h"
#include "storage/s3_client.h"

namespace plinth::remote {
namespace fs = std::filesystem;
namespace {

// An S3 remote: the objects under the URL's prefix, moved by storage::S3Client.
class S3Remote : public Remote {
 public:
  S3Remote(std::string name, std::string url, storage::S3Settings s)
      : prefix_(s.prefix), client_(std::move(s), "remote '" + name + "' (" + url + ")") {}

  std::string describe() const override { return client_.subject(); }
  size_t default_jobs() const override { return 4 * core::default_jobs(); }

  bool exists(const std::string& key) override { return client_.head(full_key(key)).has_value(); }

  std::vector<Object> list_objects(const std::string& prefix) override {
    size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
    std::vector<Object> objects;
    for (auto& o : client_.list(full_key(prefix))) objects.push_back({o.key.substr(strip), o.size});
    return objects;
  }

  void put(const std::string& key, const fs::path& src, uint64_t size, const std::string& md5_hex,
           const ByteCounter& sent) override {
    client_.put_file(full_key(key), src, size, md5_hex, sent);
  }

  void get(const std::string& key, const http::Sink& sink) override {
    try {
      client_.get(full_key(key), sink);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound && !client_.head(full_key(key)))
        throw Error(ErrorCode::kNotFound, key + " is not on " + describe());
      throw;
    }
  }

 private:
  std::string full_key(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "/" + key;
  }

  std::string prefix_;
  storage::S3Client client_;
};

}  // namespace

std::unique_ptr<Remote> open_s3_remote(const std::string& name, const std::string& url,
                                       storage::S3Settings settings) {
  return std::make_unique<S3Remote>(name, url, std::move(settings));
}

}  // namespace plinth::remote
