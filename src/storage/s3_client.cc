#include "storage/s3_client.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/thread_pool.h"
#include "spdlog/spdlog.h"
#include "storage/sigv4.h"

namespace plinth::storage {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kMinPartSize = 16ull << 20;
constexpr uint64_t kSmallestPart = 5ull << 20;  // S3's minimum for all parts but the last
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

}  // namespace

// A connection for the duration of one request, reused by later ones.
class S3Client::Lease {
 public:
  explicit Lease(S3Client& c) : c_(c) {
    std::lock_guard lock(c_.clients_mutex_);
    if (!c_.idle_.empty()) {
      client_ = std::move(c_.idle_.back());
      c_.idle_.pop_back();
    }
    if (!client_) client_ = std::make_unique<http::Client>(http::RetryPolicy{}, c_.s_.tls);
  }
  ~Lease() {
    std::lock_guard lock(c_.clients_mutex_);
    c_.idle_.push_back(std::move(client_));
  }
  http::Client* operator->() { return client_.get(); }

 private:
  S3Client& c_;
  std::unique_ptr<http::Client> client_;
};

S3Client::S3Client(S3Settings s, std::string subject)
    : s_(std::move(s)), subject_(std::move(subject)) {
  std::string scheme = s_.endpoint.substr(0, s_.endpoint.find("://") + 3);
  if (s_.path_style) {
    host_ = host_of(s_.endpoint);
    base_path_ = "/" + s_.bucket;
  } else {
    host_ = s_.bucket + "." + host_of(s_.endpoint);
  }
  base_url_ = scheme + host_;
  spdlog::debug("{}: endpoint {}, region {}, credentials from {}", subject_, s_.endpoint, s_.region,
                s_.credentials_from);
}

S3Client::~S3Client() = default;

std::optional<uint64_t> S3Client::head(const std::string& key) {
  http::Response r = call("HEAD", key, {}, {});
  if (r.status == 404) return std::nullopt;
  check(r, "look up " + key);
  auto length = r.header("content-length");
  return length ? std::stoull(*length) : 0;
}

std::vector<ObjectInfo> S3Client::list(const std::string& prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  do {
    std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    http::Response r = call("GET", "", query, {});
    check(r, "list " + (prefix.empty() ? std::string("the bucket") : prefix));
    // Each <Contents> holds one <Key> and one <Size>, in that order.
    auto keys = xml_values(r.body, "Key");
    auto sizes = xml_values(r.body, "Size");
    if (sizes.size() != keys.size())
      throw Error(ErrorCode::kIo, subject_ + ": a listing of " + prefix + " has " +
                                      std::to_string(keys.size()) + " keys but " +
                                      std::to_string(sizes.size()) + " sizes");
    for (size_t i = 0; i < keys.size(); ++i) objects.push_back({keys[i], std::stoull(sizes[i])});
    token = xml_value(r.body, "IsTruncated") == "true" ? xml_value(r.body, "NextContinuationToken")
                                                       : "";
  } while (!token.empty());
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

void S3Client::get(const std::string& key, const http::Sink& sink) {
  http::Response r = call("GET", key, {}, {}, {}, &sink);
  check(r, "download " + key);
}

std::string S3Client::get_range(const std::string& key, uint64_t offset, uint64_t length) {
  if (length == 0) return {};
  std::string out;
  out.reserve(length);
  http::Sink sink{[&](std::string_view b) { out.append(b); }, [&] { out.clear(); }};
  http::Headers headers{
      {"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
  http::Response r = call("GET", key, {}, headers, {}, &sink);
  check(r, "read bytes " + std::to_string(offset) + "+" + std::to_string(length) + " of " + key);
  // A server that ignores Range answers 200 with the whole object.
  if (r.status == 200 && out.size() > length) out = out.substr(offset, length);
  return out;
}

std::vector<std::string> S3Client::get_ranges(const std::string& key,
                                              const std::vector<Range>& ranges, size_t in_flight) {
  std::vector<std::string> out(ranges.size());
  if (ranges.size() == 1) {
    out[0] = get_range(key, ranges[0].offset, ranges[0].length);
    return out;
  }
  core::ThreadPool pool(std::max<size_t>(1, std::min(in_flight, ranges.size())));
  pool.parallel_for(ranges.size(),
                    [&](size_t i) { out[i] = get_range(key, ranges[i].offset, ranges[i].length); });
  return out;
}

void S3Client::put_file(const std::string& key, const fs::path& src, uint64_t size,
                        const std::string& md5_hex, const ByteCounter& sent) {
  if (size >= kMultipartThreshold)
    return put_multipart(key, src, size, std::max(kMinPartSize, (size + 9999) / 10000),
                         kPartsInFlight, sent);
  core::Fd file = core::open_for_reading(src);
  http::Headers headers;
  if (!md5_hex.empty()) headers.emplace_back("Content-MD5", base64(unhex(md5_hex)));
  http::Body body{{}, file.get(), 0, size};
  check(call("PUT", key, {}, headers, body, nullptr, sent), "upload " + key);
}

// Each part is sent with its Content-MD5, so the server refuses one damaged in transit.
void S3Client::put_multipart(const std::string& key, const fs::path& src, uint64_t size,
                             uint64_t part_size, size_t in_flight, const ByteCounter& sent) {
  core::Fd file = core::open_for_reading(src);
  int fd = file.get();
  part_size = std::max({part_size, kSmallestPart, (size + 9999) / 10000});
  http::Response r = call("POST", key, {{"uploads", ""}}, {});
  check(r, "start a multipart upload of " + key);
  std::string upload_id = xml_value(r.body, "UploadId");
  if (upload_id.empty())
    throw Error(ErrorCode::kIo, subject_ + " answered a multipart upload without UploadId");
  size_t parts = std::max<size_t>(1, static_cast<size_t>((size + part_size - 1) / part_size));
  std::vector<std::string> etags(parts);
  try {
    core::ThreadPool pool(std::max<size_t>(1, std::min(in_flight, parts)));
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
          call("PUT", key, {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}},
               headers, http::Body{buf}, nullptr, sent);
      check(part, "upload part " + std::to_string(i + 1) + " of " + key);
      etags[i] = part.header("etag").value_or("");
    });
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < parts; ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
             "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    http::Response done = call("POST", key, {{"uploadId", upload_id}}, {}, http::Body{xml});
    // S3 may report a failed completion inside a 200 response.
    if (done.status == 200 && done.body.find("<Error>") != std::string::npos) done.status = 500;
    check(done, "complete the multipart upload of " + key);
  } catch (...) {
    try {
      call("DELETE", key, {{"uploadId", upload_id}}, {});
    } catch (...) {
      // The upload failed already; that error is the one to report.
    }
    throw;
  }
}

http::Response S3Client::call(const std::string& method, const std::string& key,
                              const std::vector<std::pair<std::string, std::string>>& query,
                              http::Headers headers, const http::Body& body, const http::Sink* sink,
                              const ByteCounter& sent) {
  std::string path = base_path_ + "/" + http::url_encode(key, false);
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
void S3Client::check(const http::Response& r, const std::string& what) const {
  if (r.status / 100 == 2) return;
  std::string code = xml_value(r.body, "Code"), message = xml_value(r.body, "Message");
  if (code.empty() && r.status == 404) code = "NoSuchKey";  // HEAD answers have no body
  std::string server = code.empty() ? "HTTP " + std::to_string(r.status)
                                    : code + (message.empty() ? "" : ": " + message);
  std::string text = "cannot " + what + " on " + subject_ + ": " + server;
  if (r.status == 403 || r.status == 401)
    throw Error(ErrorCode::kPermission, text + " (credentials from " + s_.credentials_from +
                                            "; check the access key, secret and region)");
  if (code == "NoSuchBucket")
    throw Error(ErrorCode::kNotFound, text + " (bucket '" + s_.bucket + "' does not exist at " +
                                          s_.endpoint +
                                          "; create it, or fix the URL or the endpoint)");
  if (code == "NoSuchKey") throw Error(ErrorCode::kNotFound, text + " (no such object)");
  if (code == "BadDigest")
    throw Error(ErrorCode::kCorrupted,
                text +
                    " (the bytes sent do not match their md5; run 'plinth status' and "
                    "'plinth commit' if the cached file changed)");
  throw Error(ErrorCode::kIo, text);
}

}  // namespace plinth::storage
