#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http/server.h"

namespace plinth::auth {

// Bearer tokens guarding `plinth serve` and the feature server (--auth-token-file). The file
// holds one token per line (blank lines and lines starting with '#' are skipped); only their
// SHA-256 digests are kept in memory, and a presented token is compared with every one of them
// in constant time. Thread-safe; reload() may run while requests are checked.
class TokenGate {
 public:
  // Paths in `open_paths` need no token (the health and metrics routes the server was told to
  // leave open). Throws Error naming the file (and line) when it cannot be read, holds no token,
  // or holds one shorter than 16 characters or with characters a header cannot carry; a
  // token's own text is never part of an error or a log line.
  TokenGate(std::string file, std::set<std::string> open_paths);

  // nullopt when the request may go on; otherwise the 401 to answer, with
  // `WWW-Authenticate: Bearer` and a JSON body {"detail": ...} saying what was wrong.
  std::optional<http::ServerResponse> refuse(const http::ServerRequest& request) const;

  // Reads the file again (on SIGHUP). A file that cannot be used is logged as an error naming
  // it, and the tokens read before stay in force.
  void reload();

  size_t size() const { return digests_.load()->size(); }

 private:
  using Digests = std::vector<std::string>;  // raw 32-byte SHA-256 digests
  std::string file_;
  std::set<std::string> open_;
  std::atomic<std::shared_ptr<const Digests>> digests_;
};

}  // namespace plinth::auth
