// The only translation unit that includes Boost.Beast (it is slow to compile; see TOOLCHAIN.md).
#include "http/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/log.h"

namespace plinth::http {
namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string ServerRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= s.size())
        throw Error(ErrorCode::kInvalidInput,
                    "malformed percent-escape in '" + std::string(s) + "'");
      auto hex = [&](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        throw Error(ErrorCode::kInvalidInput,
                    "malformed percent-escape in '" + std::string(s) + "'");
      };
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

ServerRequest to_request(const beast::http::request<beast::http::string_body>& in) {
  ServerRequest req;
  req.method = std::string(in.method_string());
  std::string_view target(in.target().data(), in.target().size());
  auto q = target.find('?');
  req.raw_path = std::string(target.substr(0, q));
  req.path = url_decode(req.raw_path, false);
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      std::string key = url_decode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true);
      req.query.emplace(std::move(key), std::move(value));
    }
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = in.body();
  return req;
}

ServerResponse error_response(int status, const std::string& code, const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    escaped += c;
  }
  return {status,
          "application/json",
          "{\"error_code\": \"" + code + "\", \"message\": \"" + escaped + "\"}",
          {}};
}

// What the connection threads share with serve(), kept alive by whoever finishes last. On
// shutdown serve() waits until no handler is running; a connection that reads another request
// afterwards closes without handling it.
struct Shared {
  ServerOptions options;
  Handler handler;
  std::mutex mutex;
  std::condition_variable idle;
  int running = 0;
  bool stopping = false;

  // Marks a handler as running; false when the server is shutting down.
  bool enter() {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    ++running;
    return true;
  }
  void leave() {
    std::lock_guard lock(mutex);
    if (--running == 0) idle.notify_all();
  }
};

void session(tcp::socket socket, Shared& shared) {
  const ServerOptions& options = shared.options;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
    beast::http::request_parser<beast::http::string_body> parser;
    parser.body_limit(options.body_limit);
    beast::http::read(stream, buffer, parser, ec);
    if (ec == beast::http::error::end_of_stream || ec == beast::error::timeout) break;
    ServerResponse out;
    bool keep_alive = false;
    if (ec == beast::http::error::body_limit) {
      out = error_response(413, "RESOURCE_EXHAUSTED", "request body over the server's limit");
    } else if (ec) {
      break;
    } else {
      auto& in = parser.get();
      keep_alive = in.keep_alive();
      if (!shared.enter()) break;
      try {
        out = shared.handler(to_request(in));
      } catch (const Error& e) {
        out = error_response(
            e.code() == ErrorCode::kInvalidInput ? 400 : 500,
            e.code() == ErrorCode::kInvalidInput ? "INVALID_PARAMETER_VALUE" : "INTERNAL_ERROR",
            e.what());
      } catch (const std::exception& e) {
        spdlog::error("request failed: {}", e.what());
        out = error_response(500, "INTERNAL_ERROR", e.what());
      }
      shared.leave();
    }
    beast::http::response<beast::http::string_body> res{
        static_cast<beast::http::status>(out.status), 11};
    res.set(beast::http::field::server, "plinth");
    res.set(beast::http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
    beast::http::write(stream, res, ec);
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

void serve(const ServerOptions& options, const Handler& handler) {
  asio::io_context ioc;
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw Error(ErrorCode::kInvalidInput, "--host " + options.host + ": " + ec.message());
  tcp::acceptor acceptor(ioc);
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorCode::kIo, "cannot listen on " + options.host + ":" +
                                    std::to_string(options.port) + ": " + ec.message());
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { acceptor.close(); });
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->handler = handler;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code aec, tcp::socket socket) {
      if (aec) return;  // closed by a signal
      std::thread([s = std::move(socket), shared]() mutable {
        session(std::move(s), *shared);
      }).detach();
      accept();
    });
  };
  accept();
  ioc.run();
  std::unique_lock lock(shared->mutex);
  shared->stopping = true;
  shared->idle.wait_for(lock, std::chrono::seconds(30), [&] { return shared->running == 0; });
}

}  // namespace plinth::http
