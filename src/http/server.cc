// The only translation unit that includes Boost.Beast (it is slow to compile; see TOOLCHAIN.md).
#include "http/server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
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

// What serve() and the connection threads share, kept alive by whoever finishes last (the
// sockets' io_context included). On shutdown serve() stops handling new requests, shuts every
// open connection down so blocked reads return, and waits for the threads to finish.
struct Shared {
  asio::io_context ioc;
  ServerOptions options;
  Handler handler;
  std::mutex mutex;
  std::condition_variable done;
  std::set<int> open_sockets;
  int sessions = 0;
  bool stopping = false;

  bool open(int fd) {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    open_sockets.insert(fd);
    ++sessions;
    return true;
  }
  void close(int fd) {
    std::lock_guard lock(mutex);
    open_sockets.erase(fd);
    if (--sessions == 0) done.notify_all();
  }
  bool handling_allowed() {
    std::lock_guard lock(mutex);
    return !stopping;
  }
  void stop() {
    std::unique_lock lock(mutex);
    stopping = true;
    for (int fd : open_sockets) ::shutdown(fd, SHUT_RDWR);
    done.wait_for(lock, std::chrono::seconds(30), [&] { return sessions == 0; });
  }
};

ServerResponse handle(Shared& shared, const beast::http::request<beast::http::string_body>& in) {
  try {
    return shared.handler(to_request(in));
  } catch (const Error& e) {
    bool bad = e.code() == ErrorCode::kInvalidInput;
    return error_response(bad ? 400 : 500, bad ? "INVALID_PARAMETER_VALUE" : "INTERNAL_ERROR",
                          e.what());
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", e.what());
    return error_response(500, "INTERNAL_ERROR", e.what());
  }
}

void session(tcp::socket socket, Shared& shared) {
  int fd = socket.native_handle();
  if (!shared.open(fd)) return;
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.body_limit(shared.options.body_limit);
    beast::http::read(socket, buffer, parser, ec);
    ServerResponse out;
    bool keep_alive = false;
    if (ec == beast::http::error::body_limit) {
      out = error_response(413, "RESOURCE_EXHAUSTED", "request body over the server's limit");
    } else if (ec || !shared.handling_allowed()) {
      break;  // closed by the client, or the server is stopping
    } else {
      keep_alive = parser.get().keep_alive();
      out = handle(shared, parser.get());
    }
    beast::http::response<beast::http::string_body> res{
        static_cast<beast::http::status>(out.status), 11};
    res.set(beast::http::field::server, "plinth");
    res.set(beast::http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    beast::http::write(socket, res, ec);
    if (ec || !keep_alive) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  shared.close(fd);
}

}  // namespace

void serve(const ServerOptions& options, const Handler& handler) {
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->handler = handler;
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw Error(ErrorCode::kInvalidInput, "--host " + options.host + ": " + ec.message());
  tcp::acceptor acceptor(shared->ioc);
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorCode::kIo, "cannot listen on " + options.host + ":" +
                                    std::to_string(options.port) + ": " + ec.message());
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  asio::signal_set signals(shared->ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { acceptor.close(); });
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
  shared->ioc.run();
  shared->stop();
}

}  // namespace plinth::http
