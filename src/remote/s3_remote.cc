#include "remote/s3_remote.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/thread_pool.h"
#include "spdlog/spdlog.h"

namespace plinth::remote {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kMinPartSize = 16ull << 20;
constexpr size_t kPartsInFlight = 4;

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string xml_unescape(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities)
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += 1)
      s.replace(pos, std::strlen(from), to);
  return s;
}

// The text of every <tag>…</tag> in a flat S3 response, in order.
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
  std::vector<std::string> values;
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t pos = 0; (pos = xml.find(open, pos)) != std::string::npos;) {
    size_t start = pos + open.size(), end = xml.find(close, start);
    if (end == std::string::npos) break;
    values.push_back(xml_unescape(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return values;
}

std::string xml_value(const std::string& xml, const std::string& tag) {
  auto v = xml_values(xml, tag);
  return v.empty() ? "" : v.front();
}

std::string host_of(const std::string& endpoint) {
  std::string host = endpoint.substr(endpoint.find("://") + 3);
  if (host.ends_with(":80") && endpoint.starts_with("http://")) host.resize(host.size() - 3);
  if (host.ends_with(":443") && endpoint.starts_with("https://")) host.resize(host.size() - 4);
  return host;
}

class S3Remote : public Remote {
 public:
  S3Remote(std::string name, std::string url, S3Settings s)
      : name_(std::move(name)), url_(std::move(url)), s_(std::move(s)) {
    std::string scheme = s_.endpoint.substr(0, s_.endpoint.find("://") + 3);
    if (s_.path_style) {
      host_ = host_of(s_.endpoint);
      base_path_ = "/" + s_.bucket;
    } else {
      host_ = s_.bucket + "." + host_of(s_.endpoint);
    }
    base_url_ = scheme + host_;
    spdlog::debug("{}: endpoint {}, region {}, credentials from {}", describe(), s_.endpoint,
                  s_.region, s_.credentials_from);
  }

  std::string describe() const override { return "remote '" + name_ + "' (" + url_ + ")"; }
  size_t default_jobs() const override { return 4 * core::default_jobs(); }

  bool exists(const std::string& key) override {
    http::Response r = call("HEAD", object_path(key), {}, {});
    if (r.status == 404) return false;
    check(r, "HEAD " + key);
    return true;
  }

  std::vector<Object> list_objects(const std::string& prefix) override {
    std::vector<Object> objects;
    std::string full_prefix = full_key(prefix);
    std::string token;
    do {
      std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"},
                                                             {"prefix", full_prefix}};
      if (!token.empty()) query.emplace_back("continuation-token", token);
      http::Response r = call("GET", base_path_ + "/", query, {});
      check(r, "list " + prefix);
      size_t strip = s_.prefix.empty() ? 0 : s_.prefix.size() + 1;
      // Each <Contents> holds one <Key> and one <Size>, in that order.
      auto keys = xml_values(r.body, "Key");
      auto sizes = xml_values(r.body, "Size");
      if (sizes.size() != keys.size())
        throw Error(ErrorCode::kIo, describe() + ": a listing of " + prefix + " has " +
                                        std::to_string(keys.size()) + " keys but " +
                                        std::to_string(sizes.size()) + " sizes");
      for (size_t i = 0; i < keys.size(); ++i)
        objects.push_back({keys[i].substr(strip), std::stoull(sizes[i])});
      token = xml_value(r.body, "IsTruncated") == "true"
                  ? xml_value(r.body, "NextContinuationToken")
                  : "";
    } while (!token.empty());
    return objects;
  }

  void put(const std::string& key, const fs::path& src, uint64_t size, const std::string& md5_hex,
           const ByteCounter& sent) override {
    core::Fd file = core::open_for_reading(src);
    int fd = file.get();
    if (size >= kMultipartThreshold) return put_multipart(key, fd, src, size, sent);
    http::Headers headers;
    if (!md5_hex.empty()) headers.emplace_back("Content-MD5", base64(unhex(md5_hex)));
    http::Body body{{}, fd, 0, size};
    check(call("PUT", object_path(key), {}, headers, body, nullptr, sent), "upload " + key);
  }

  void get(const std::string& key, const http::Sink& sink) override {
    http::Response r = call("GET", object_path(key), {}, {}, {}, &sink);
    if (r.status == 404) throw Error(ErrorCode::kNotFound, key + " is not on " + describe());
    check(r, "download " + key);
  }

 private:
  // Parts of 16 MiB (more when the object would need over 10,000 parts), four in flight,
  // each sent with its Content-MD5. A failed upload is aborted so no parts linger.
  void put_multipart(const std::string& key, int fd, const fs::path& src, uint64_t size,
                     const ByteCounter& sent) {
    std::string path = object_path(key);
    http::Response r = call("POST", path, {{"uploads", ""}}, {});
    check(r, "start multipart upload of " + key);
    std::string upload_id = xml_value(r.body, "UploadId");
    if (upload_id.empty())
      throw Error(ErrorCode::kIo, describe() + " answered a multipart upload without UploadId");
    uint64_t part_size = std::max(kMinPartSize, (size + 9999) / 10000);
    size_t parts = static_cast<size_t>((size + part_size - 1) / part_size);
    std::vector<std::string> etags(parts);
    try {
      core::ThreadPool pool(std::min(kPartsInFlight, parts));
      pool.parallel_for(parts, [&](size_t i) {
        uint64_t offset = i * part_size, length = std::min(part_size, size - offset);
        std::string buf(length, '\0');
        size_t got = 0;
        while (got < length) {
          ssize_t n = ::pread(fd, buf.data() + got, length - got, static_cast<off_t>(offset + got));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) throw system_error("read", src.string(), n < 0 ? errno : EIO);
          got += static_cast<size_t>(n);
        }
        http::Headers headers{{"Content-MD5", base64(unhex(core::md5_hex(buf)))}};
        http::Response part =
            call("PUT", path, {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}},
                 headers, http::Body{buf}, nullptr, sent);
        check(part, "upload part " + std::to_string(i + 1) + " of " + key);
        etags[i] = part.header("etag").value_or("");
      });
      std::string xml = "<CompleteMultipartUpload>";
      for (size_t i = 0; i < parts; ++i)
        xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
               "</ETag></Part>";
      xml += "</CompleteMultipartUpload>";
      http::Response done = call("POST", path, {{"uploadId", upload_id}}, {}, http::Body{xml});
      // S3 may report a failed completion inside a 200 response.
      if (done.status == 200 && done.body.find("<Error>") != std::string::npos) done.status = 500;
      check(done, "complete multipart upload of " + key);
    } catch (...) {
      try {
        call("DELETE", path, {{"uploadId", upload_id}}, {});
      } catch (...) {
        // The upload failed already; that error is the one to report.
      }
      throw;
    }
  }

  std::string full_key(const std::string& key) const {
    return s_.prefix.empty() ? key : s_.prefix + "/" + key;
  }
  std::string object_path(const std::string& key) const {
    return base_path_ + "/" + http::url_encode(full_key(key), false);
  }

  http::Response call(const std::string& method, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& query,
                      http::Headers headers, const http::Body& body = {},
                      const http::Sink* sink = nullptr, const ByteCounter& sent = {}) {
    SignedRequest signing{method, path, query, {}, "UNSIGNED-PAYLOAD", amz_date_now()};
    headers.emplace_back("x-amz-date", signing.amz_date);
    headers.emplace_back("x-amz-content-sha256", signing.payload_hash);
    if (!s_.credentials.session_token.empty())
      headers.emplace_back("x-amz-security-token", s_.credentials.session_token);
    signing.headers = headers;
    signing.headers.emplace_back("host", host_);
    headers.emplace_back("Authorization", authorization(signing, s_.credentials, s_.region, "s3"));

    http::Request request{method, base_url_ + path, std::move(headers), body};
    std::string q = canonical_query(query);
    if (!q.empty()) request.url += "?" + q;
    Lease client(*this);
    return client->send(request, sink, sent);
  }

  // Turns a failed response into an Error with the server's own code and message.
  void check(const http::Response& r, const std::string& what) const {
    if (r.status / 100 == 2) return;
    std::string code = xml_value(r.body, "Code"), message = xml_value(r.body, "Message");
    std::string server = code.empty() ? "HTTP " + std::to_string(r.status)
                                      : code + (message.empty() ? "" : ": " + message);
    std::string text = "cannot " + what + " on " + describe() + ": " + server;
    if (r.status == 403 || r.status == 401)
      throw Error(ErrorCode::kPermission, text + " (credentials from " + s_.credentials_from +
                                              "; check the access key, secret and region)");
    if (code == "NoSuchBucket")
      throw Error(ErrorCode::kNotFound, text + " (create the bucket, or fix the remote's URL)");
    if (code == "BadDigest")
      throw Error(ErrorCode::kCorrupted,
                  text +
                      " (the bytes sent do not match their md5; run 'plinth status' and "
                      "'plinth commit' if the cached file changed)");
    throw Error(ErrorCode::kIo, text);
  }

  // A connection for the duration of one request, reused by later ones.
  class Lease {
   public:
    explicit Lease(S3Remote& remote) : remote_(remote) {
      std::lock_guard lock(remote_.clients_mutex_);
      if (!remote_.idle_.empty()) {
        client_ = std::move(remote_.idle_.back());
        remote_.idle_.pop_back();
      }
      if (!client_) client_ = std::make_unique<http::Client>(http::RetryPolicy{}, remote_.s_.tls);
    }
    ~Lease() {
      std::lock_guard lock(remote_.clients_mutex_);
      remote_.idle_.push_back(std::move(client_));
    }
    http::Client* operator->() { return client_.get(); }

   private:
    S3Remote& remote_;
    std::unique_ptr<http::Client> client_;
  };

  std::string name_, url_;
  S3Settings s_;
  std::string host_, base_url_, base_path_;
  std::mutex clients_mutex_;
  std::vector<std::unique_ptr<http::Client>> idle_;
};

}  // namespace

std::unique_ptr<Remote> open_s3_remote(const std::string& name, const std::string& url,
                                       S3Settings settings) {
  return std::make_unique<S3Remote>(name, url, std::move(settings));
}

}  // namespace plinth::remote
