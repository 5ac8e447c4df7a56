#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/client.h"

namespace plinth::remote {

// A remote as the repository's config describes it (spec dvc-format.md §4.1).
struct RemoteSpec {
  std::string name;
  std::string url;                             // a path, file://path or s3://bucket/prefix
  std::map<std::string, std::string> options;  // the section's other keys
  std::filesystem::path config_dir;            // relative folder URLs are relative to this
};

// Reports bytes moved, as they move.
using ByteCounter = std::function<void(uint64_t)>;

// Object storage addressed by '/'-separated keys relative to the remote's root. Implementations
// are safe to call from several threads at once. An object appears under its key complete or
// not at all.
class Remote {
 public:
  virtual ~Remote() = default;

  // For messages: "remote 'name' (s3://bucket/prefix)". Never contains a secret.
  virtual std::string describe() const = 0;
  // Parallel transfers that suit this kind of remote when the user gives none.
  virtual size_t default_jobs() const = 0;

  struct Object {
    std::string key;
    uint64_t size = 0;  // bytes
  };

  virtual bool exists(const std::string& key) = 0;
  // Every object whose key starts with `prefix`.
  virtual std::vector<Object> list_objects(const std::string& prefix) = 0;
  // Every key that starts with `prefix`.
  std::vector<std::string> list(const std::string& prefix) {
    std::vector<std::string> keys;
    for (auto& object : list_objects(prefix)) keys.push_back(std::move(object.key));
    return keys;
  }
  // Stores the file `src` of `size` bytes under `key`. `md5_hex`, when given, is the md5 of the
  // bytes, so the server can refuse a copy damaged in transit.
  virtual void put(const std::string& key, const std::filesystem::path& src, uint64_t size,
                   const std::string& md5_hex, const ByteCounter& sent) = 0;
  // Streams the object to `sink`. Throws Error(kNotFound) when there is no such key.
  virtual void get(const std::string& key, const http::Sink& sink) = 0;
  // Makes every put so far durable (a no-op where the server does that itself).
  virtual void flush() {}
};

// Opens the remote `spec` describes. Throws Error(kInvalidInput) naming the remote for an
// unsupported scheme, a malformed URL or missing credentials.
std::unique_ptr<Remote> open_remote(const RemoteSpec& spec);

// The options each kind of remote understands, for validating `remote modify`.
std::vector<std::string> known_options(const std::string& url);

}  // namespace plinth::remote
