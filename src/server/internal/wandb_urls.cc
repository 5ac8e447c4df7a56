#include "server/internal/wandb_urls.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstring>

#include "auth/secrets.h"
#include "core/error.h"
#include "core/random_id.h"

namespace plinth::server::internal {

UrlSigner::UrlSigner() : key_(core::random_hex(64)) {}

std::string UrlSigner::sign(const std::string& resource, int64_t expires) const {
  std::string message = resource + "\n" + std::to_string(expires);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string UrlSigner::query(const std::string& resource, int64_t lifetime_seconds) const {
  int64_t expires = now_seconds() + lifetime_seconds;
  return "expires=" + std::to_string(expires) + "&signature=" + sign(resource, expires);
}

void UrlSigner::check(const std::string& resource, const std::map<std::string, std::string>& query,
                      const std::string& ask_again) const {
  auto q = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  int64_t expires = 0;
  try {
    expires = std::stoll(q("expires"));
  } catch (const std::exception&) {
  }
  std::string want = sign(resource, expires);
  std::string got = q("signature");
  if (got.size() != want.size() || !auth::constant_time_equal(got, want))
    throw Error(
        ErrorCode::kPermission,
        "The URL's signature is wrong or was made before the server restarted: " + ask_again);
  if (expires < now_seconds()) throw Error(ErrorCode::kPermission, "The URL expired: " + ask_again);
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string base_url(const http::ServerRequest& req) {
  std::string proto = req.header("x-forwarded-proto");
  std::string host = req.header("x-forwarded-host");
  if (host.empty()) host = req.header("host");
  return (proto.empty() ? "http" : proto) + "://" + host;
}

std::string url_encode_path(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("-._~/", c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace plinth::server::internal
