#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plinth::http {

// One HTTP request as the server received it. Header names are lowercased.
struct ServerRequest {
  std::string method;    // "GET", "POST", ...
  std::string path;      // percent-decoded, without the query string
  std::string raw_path;  // as sent, still percent-encoded (to refuse encoded tricks)
  std::multimap<std::string, std::string> query;  // decoded; repeated keys kept in order
  std::map<std::string, std::string> headers;
  std::string body;
  // The client's IP address as the socket sees it ("" when unknown; a reverse proxy's own
  // address when there is one in front).
  std::string peer_address;

  // The header's value, or "" when absent.
  std::string header(const std::string& name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;            // 0 picks a free port
  size_t body_limit = 1ull << 30;  // larger bodies are answered 413
  size_t threads = 0;              // threads running handlers; 0: one per core
  // Event loops the threads share (0: one per thread, the fastest for handlers that do not
  // block; 1: one loop for all, so a blocked handler never delays another connection).
  size_t contexts = 0;
  size_t max_connections = 1024;  // connections beyond are answered 503 and closed
  // A connection must send a whole request header within this time of the previous response
  // (or of connecting): it is also the keep-alive idle timeout. The body then has
  // `body_timeout`. A client slower than that is disconnected; it never holds a thread.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  // On SIGINT/SIGTERM, how long requests in flight may take to finish.
  std::chrono::milliseconds drain_timeout{30'000};
  // Called once the socket listens, with the port actually bound.
  std::function<void(uint16_t)> on_listening;
  // Called when a signal arrives, before in-flight requests are drained.
  std::function<void()> on_stopping;
};

// Serves `handler` over HTTP/1.1 with keep-alive until the process receives SIGINT or SIGTERM.
// Connections are served asynchronously by `threads` threads; a handler runs on one of them,
// so it may block that thread but no other. The handler must be thread-safe; an exception
// escaping it is answered 500 with a JSON body. Malformed requests are answered 400, bodies over
// the limit 413, headers over 16 KiB 431, all with "Connection: close".
// On a signal it stops accepting, closes idle connections, lets requests in flight finish (up to
// drain_timeout; their responses say "Connection: close") and returns; after that the handler is
// never called again, so what it uses may be destroyed.
// Throws Error(kIo) when the address cannot be bound.
void serve(const ServerOptions& options, const Handler& handler);

// Parses `raw` as one HTTP/1.1 request exactly as serve() reads it from a socket: nullopt when
// the bytes are not one complete, valid request within `body_limit`. Throws
// Error(kInvalidInput) for a malformed percent-escape in the target (answered 400 by serve()).
// For the fuzzer and tests.
std::optional<ServerRequest> parse_request(std::string_view raw, size_t body_limit);

// Decodes %XX escapes (and '+' as space when `plus_is_space`, for query strings). Throws
// Error(kInvalidInput) for a malformed escape.
std::string url_decode(std::string_view s, bool plus_is_space);

}  // namespace plinth::http
