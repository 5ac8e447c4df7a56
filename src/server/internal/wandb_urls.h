#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "http/server.h"

namespace plinth::server::internal {

// URLs that carry their own authority (the SDK sends no credentials on its upload PUTs, spec
// wandb-protocol.md §1.4 item 7): an expiry time and an HMAC-SHA256, under a key made when the
// server starts, of what the URL may do (a "resource" string) and the expiry. URLs handed out
// before a restart are refused (the SDK asks again or logs the failed upload).
class UrlSigner {
 public:
  UrlSigner();

  // "expires=...&signature=..." for `resource`, valid for `lifetime_seconds`.
  std::string query(const std::string& resource, int64_t lifetime_seconds) const;
  // Throws Error(kPermission) naming what to do when the request's `expires` and `signature`
  // do not authorise `resource`, or have expired.
  void check(const std::string& resource, const std::map<std::string, std::string>& query,
             const std::string& ask_again) const;

 private:
  std::string sign(const std::string& resource, int64_t expires) const;
  std::string key_;
};

// How long the URLs the SDK gets stay valid.
inline constexpr int64_t kUrlLifetimeSeconds = 24 * 3600;

// The server's own base URL as the client reached it ("http://host:port").
std::string base_url(const http::ServerRequest& req);
// `path` with everything but unreserved characters and '/' percent-encoded.
std::string url_encode_path(const std::string& path);
int64_t now_seconds();

}  // namespace plinth::server::internal
