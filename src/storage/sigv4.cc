#include "storage/sigv4.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/hash.h"
#include "core/utc_time.h"
#include "http/client.h"

namespace plinth::storage {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Header values are trimmed and inner runs of spaces collapse to one.
std::string trim_value(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sorted_headers(const SignedRequest& r) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : r.headers) h.emplace_back(lower(k), trim_value(v));
  std::sort(h.begin(), h.end());
  return h;
}

std::string signed_header_names(const SignedRequest& r) {
  std::string names;
  for (const auto& [k, v] : sorted_headers(r)) names += (names.empty() ? "" : ";") + k;
  return names;
}

std::string scope(const SignedRequest& r, const std::string& region, const std::string& service) {
  return r.amz_date.substr(0, 8) + "/" + region + "/" + service + "/aws4_request";
}

}  // namespace

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : query) q.emplace_back(http::url_encode(k), http::url_encode(v));
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::string canonical_request(const SignedRequest& r) {
  std::string out = r.method + "\n" + r.canonical_uri + "\n" + canonical_query(r.query) + "\n";
  for (const auto& [k, v] : sorted_headers(r)) out += k + ":" + v + "\n";
  out += "\n" + signed_header_names(r) + "\n" + r.payload_hash;
  return out;
}

std::string string_to_sign(const SignedRequest& r, const std::string& region,
                           const std::string& service) {
  return "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope(r, region, service) + "\n" +
         core::sha256_hex(canonical_request(r));
}

std::string authorization(const SignedRequest& r, const Credentials& credentials,
                          const std::string& region, const std::string& service) {
  std::string key = hmac("AWS4" + credentials.secret_access_key, r.amz_date.substr(0, 8));
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  std::string signature = hex(hmac(key, string_to_sign(r, region, service)));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
         scope(r, region, service) + ",SignedHeaders=" + signed_header_names(r) +
         ",Signature=" + signature;
}

std::string amz_date_now() { return core::format_utc_now("%Y%m%dT%H%M%SZ"); }

}  // namespace plinth::storage
