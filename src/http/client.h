#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plinth::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A request body: bytes in memory, or a range of an open file streamed from disk.
struct Body {
  std::string_view data;
  int fd = -1;  // when >= 0, `size` bytes from `offset` of this file are sent instead of data
  uint64_t offset = 0;
  uint64_t size = 0;

  uint64_t length() const { return fd >= 0 ? size : data.size(); }
};

// PUT and POST always send `body`; PATCH and DELETE send it when it is not empty (MLflow's API
// carries JSON bodies on both).
struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  Body body;
};

struct Response {
  long status = 0;
  Headers headers;   // names lowercased
  std::string body;  // the whole body, unless a successful one went to a Sink
  std::optional<std::string> header(std::string_view name) const;
};

// Receives a successful (2xx) response body in pieces. When a transfer is retried, reset() is
// called first so the sink can drop what it received from the failed attempt.
struct Sink {
  std::function<void(std::string_view)> write;
  std::function<void()> reset;
};

struct RetryPolicy {
  int attempts = 5;                            // tries in all, including the first
  std::chrono::milliseconds first_delay{200};  // doubled after each failure, with jitter
};

// How a Client checks the certificates of https:// servers. Verification is on unless turned
// off; a refused certificate is an Error naming the URL and `remedy`.
struct TlsVerify {
  std::string ca_bundle;  // a PEM file of the CA certificates to trust; empty: the system's
  std::string origin;     // the option or variable ca_bundle (or verify) came from
  bool verify = true;     // false: any certificate is accepted (MLFLOW_TRACKING_INSECURE_TLS)
  std::string remedy = "--ca-bundle FILE (or PLINTH_CA_BUNDLE)";  // how to give a CA bundle
};

// A TlsVerify trusting the CA bundle named first by: PLINTH_CA_BUNDLE (what `plinth --ca-bundle`
// sets); `sources` ((where, value) pairs, most specific first, empty values skipped);
// REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE; else the system's CAs. Throws
// Error(kNotFound) naming the source when its file does not exist.
TlsVerify pick_ca_bundle(const std::vector<std::pair<std::string, std::string>>& sources,
                         std::string remedy);

// An HTTP/1.1 client over libcurl that keeps its connection open between requests. One per
// thread: a Client is not thread-safe. Requests that fail on the way (connection refused or
// reset, timeouts) or with a 5xx status are retried with exponential backoff; other statuses are
// returned to the caller. https:// servers' certificates are verified as `tls` says.
class Client {
 public:
  explicit Client(RetryPolicy retry = {}, TlsVerify tls = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `on_sent` is told how many body bytes went out, as they go (for progress bars).
  Response send(const Request& request, const Sink* sink = nullptr,
                const std::function<void(uint64_t)>& on_sent = {});

 private:
  struct Attempt;
  void* curl_;
  RetryPolicy retry_;
  TlsVerify tls_;
};

// Percent-encodes everything but unreserved characters (RFC 3986), and '/' unless asked to.
std::string url_encode(std::string_view s, bool encode_slash = true);

}  // namespace plinth::http
