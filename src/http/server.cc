// The only translation unit that includes Boost.Beast (it is slow to compile; see TOOLCHAIN.md).
#include "http/server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
#include "http/tls.h"

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

ServerResponse handle(const Handler& handler,
                      const beast::http::request<beast::http::string_body>& in,
                      const std::string& peer_address) {
  try {
    ServerRequest req = to_request(in);
    req.peer_address = peer_address;
    return handler(req);
  } catch (const Error& e) {
    bool bad = e.code() == ErrorCode::kInvalidInput;
    return error_response(bad ? 400 : 500, bad ? "INVALID_PARAMETER_VALUE" : "INTERNAL_ERROR",
                          e.what());
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", e.what());
    return error_response(500, "INTERNAL_ERROR", e.what());
  }
}

class Connection;

// What serve() and the connections share. On a signal serve() sets `stopping`, asks every
// connection to stop (idle ones close at once, busy ones after their response) and waits for the
// count of connections to reach zero.
struct Shared {
  // Connections are spread over the contexts round-robin; each context is run by its share of
  // the threads. One context per thread avoids waking other threads for every operation.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  ServerOptions options;
  Handler handler;
  std::mutex mutex;
  std::condition_variable done;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> sessions;
  uint64_t next_id = 0;
  std::atomic<bool> stopping{false};
  // HTTPS: the certificate new connections get (replaced on SIGHUP; a connection keeps the one
  // it started with). Null for plain HTTP.
  std::shared_ptr<asio::ssl::context> tls;

  // Keeps every context's threads running while it has no connection; dropped on a signal so
  // each context ends once its connections are done.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> idle;

  Shared(size_t count, size_t threads) {
    for (size_t i = 0; i < count; ++i) {
      contexts.push_back(
          std::make_unique<asio::io_context>(static_cast<int>((threads + count - 1 - i) / count)));
      idle.push_back(asio::make_work_guard(*contexts.back()));
    }
  }
  void stop_all() {
    for (auto& c : contexts) c->stop();
  }
  std::shared_ptr<asio::ssl::context> current_tls() {
    std::lock_guard lock(mutex);
    return tls;
  }
};

constexpr size_t kHeaderLimit = 16 * 1024;

// A connection as serve() sees it: registered while open, asked to stop on a signal.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(Shared& shared) : shared_(shared) {}
  virtual ~Connection() {
    std::lock_guard lock(shared_.mutex);
    shared_.sessions.erase(id_);
    if (shared_.sessions.empty()) shared_.done.notify_all();
  }
  // From any thread: close when idle, else after the response being prepared.
  virtual void stop() = 0;

 protected:
  // Registers the connection; false when the server is stopping (the caller closes it).
  bool enlist() {
    std::lock_guard lock(shared_.mutex);
    id_ = shared_.next_id++;
    shared_.sessions.emplace(id_, weak_from_this());
    // Read under the lock the signal handler takes after setting it: a connection accepted
    // while the server stops is either in its list of sessions to stop, or sees this.
    return !shared_.stopping;
  }

  Shared& shared_;

 private:
  uint64_t id_ = 0;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection: (for HTTPS, the TLS handshake first, within header_timeout) read a header
// (header_timeout), then the body (body_timeout), run the handler, write the response, and again
// while the client keeps the connection alive. All of a session's work runs on its strand, so
// stop() never races a read or a write. `Stream` is beast::tcp_stream or TlsStream.
template <class Stream>
class Session : public Connection {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(tcp::socket socket, Shared& shared) requires(!kTls)
      : Connection(shared), stream_(std::move(socket)) {}
  Session(tcp::socket socket, Shared& shared,
          std::shared_ptr<asio::ssl::context> tls) requires(kTls)
      : Connection(shared), stream_(std::move(socket), *tls), tls_(std::move(tls)) {}

  // Registers the session and starts reading; a session over the cap answers 503 and closes.
  void start(bool over_capacity) {
    if (!enlist()) return close();
    beast::error_code ec;
    tcp_stream().socket().set_option(tcp::no_delay(true), ec);
    auto peer = tcp_stream().socket().remote_endpoint(ec);
    if (!ec) peer_address_ = peer.address().to_string();
    if constexpr (kTls) {
      asio::dispatch(stream_.get_executor(),
                     [self = self(), over_capacity] { self->detect_tls(over_capacity); });
    } else if (over_capacity) {
      reply(over_capacity_response(), false);
    } else {
      asio::dispatch(stream_.get_executor(), [self = self()] { self->read_header(); });
    }
  }

  void stop() override {
    asio::post(stream_.get_executor(), [self = self()] {
      if (self->busy_) return;  // the response goes out with "Connection: close"
      self->close();
    });
  }

 private:
  std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& tcp_stream() { return beast::get_lowest_layer(stream_); }

  static ServerResponse over_capacity_response() {
    return error_response(503, "TEMPORARILY_UNAVAILABLE",
                          "the server has too many open connections; retry later");
  }

  // HTTPS: a client that speaks plain HTTP to the port is told so in plain HTTP, not left to
  // guess from a dropped connection.
  void detect_tls(bool over_capacity) {
    if constexpr (kTls) {
      tcp_stream().expires_after(shared_.options.header_timeout);
      beast::async_detect_ssl(tcp_stream(), buffer_,
                              [self = self(), over_capacity](beast::error_code ec, bool is_tls) {
                                if (ec) return self->close();
                                if (!is_tls) return self->refuse_plaintext();
                                self->stream_.async_handshake(
                                    asio::ssl::stream_base::server, self->buffer_.data(),
                                    [self, over_capacity](beast::error_code hec, size_t used) {
                                      if (hec) {
                                        spdlog::debug("TLS handshake failed: {}", hec.message());
                                        return self->close();
                                      }
                                      self->handshaken_ = true;
                                      self->buffer_.consume(used);
                                      if (over_capacity)
                                        return self->reply(over_capacity_response(), false);
                                      self->read_header();
                                    });
                              });
    }
  }

  void refuse_plaintext() {
    static const std::string kAnswer = [] {
      std::string body =
          "{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"this port serves "
          "HTTPS; use an https:// URL\"}";
      return "HTTP/1.1 400 Bad Request\r\nServer: plinth\r\nContent-Type: application/json\r\n"
             "Connection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    busy_ = true;
    asio::async_write(tcp_stream(), asio::buffer(kAnswer),
                      [self = self()](beast::error_code, size_t) { self->close(); });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(shared_.options.body_limit);
    tcp_stream().expires_after(shared_.options.header_timeout);
    beast::http::async_read_header(
        stream_, buffer_, *parser_,
        [self = self()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return refuse(ec);
    busy_ = true;
    if (parser_->is_done()) return on_request({});
    tcp_stream().expires_after(shared_.options.body_timeout);
    beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = self()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    if (ec) return refuse(ec);
    tcp_stream().expires_never();
    reply(handle(shared_.handler, parser_->get(), peer_address_), parser_->get().keep_alive());
  }

  // A request that could not be read: answered when the client can use an answer, else closed.
  void refuse(beast::error_code ec) {
    using he = beast::http::error;
    if (ec == he::body_limit) {
      return reply(error_response(413, "RESOURCE_EXHAUSTED",
                                  "request body over the server's limit of " +
                                      std::to_string(shared_.options.body_limit) + " bytes"),
                   false);
    }
    if (ec == he::header_limit) {
      return reply(error_response(431, "INVALID_PARAMETER_VALUE", "request header over 16 KiB"),
                   false);
    }
    if (ec.category() == beast::http::make_error_code(he::bad_target).category() &&
        ec != he::end_of_stream && ec != he::partial_message) {
      return reply(
          error_response(400, "INVALID_PARAMETER_VALUE", "malformed HTTP request: " + ec.message()),
          false);
    }
    close();  // closed by the client, timed out, or reset
  }

  void reply(ServerResponse out, bool keep_alive) {
    busy_ = true;
    response_ = {static_cast<beast::http::status>(out.status), 11};
    response_.set(beast::http::field::server, "plinth");
    response_.set(beast::http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) response_.set(name, value);
    keep_alive_ = keep_alive && !shared_.stopping;
    response_.keep_alive(keep_alive_);
    response_.body() = std::move(out.body);
    response_.prepare_payload();
    tcp_stream().expires_after(shared_.options.body_timeout);
    beast::http::async_write(stream_, response_, [self = self()](beast::error_code ec, size_t) {
      self->on_written(ec);
    });
  }

  void on_written(beast::error_code ec) {
    busy_ = false;
    if (ec || !keep_alive_ || shared_.stopping) return close();
    read_header();
  }

  // HTTPS says goodbye first (close_notify, within a second), so clients can tell a complete
  // answer from a cut connection.
  void close() {
    busy_ = false;
    if constexpr (kTls) {
      if (handshaken_ && !closing_) {
        closing_ = true;
        tcp_stream().expires_after(std::chrono::seconds(1));
        stream_.async_shutdown([self = self()](beast::error_code) { self->close_socket(); });
        return;
      }
      if (closing_) return;
    }
    close_socket();
  }

  void close_socket() {
    beast::error_code ec;
    tcp_stream().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_stream().close();
  }

  Stream stream_;
  std::shared_ptr<asio::ssl::context> tls_;  // kept alive while the connection uses it
  std::string peer_address_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  beast::http::response<beast::http::string_body> response_;
  bool busy_ = false, keep_alive_ = false, handshaken_ = false, closing_ = false;
};

// HTTPS: the certificate and key in `options`, as Asio's context.
std::shared_ptr<asio::ssl::context> load_tls(const ServerOptions& options) {
  std::shared_ptr<SSL_CTX> ctx = load_server_tls({options.tls_cert, options.tls_key});
  SSL_CTX_up_ref(ctx.get());  // Asio's context takes its own reference
  return std::make_shared<asio::ssl::context>(ctx.get());
}

}  // namespace

std::optional<ServerRequest> parse_request(std::string_view raw, size_t body_limit) {
  beast::http::request_parser<beast::http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
  parser.eager(true);
  beast::error_code ec;
  size_t used = parser.put(asio::buffer(raw.data(), raw.size()), ec);
  if (ec || used != raw.size()) return std::nullopt;
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return std::nullopt;
  }
  return to_request(parser.get());
}

void serve(const ServerOptions& options, const Handler& handler) {
  size_t threads =
      options.threads ? options.threads : std::max<size_t>(1, std::thread::hardware_concurrency());
  size_t count = options.contexts ? std::min(options.contexts, threads) : threads;
  Shared shared(count, threads);
  shared.options = options;
  shared.handler = handler;
  bool https = !options.tls_cert.empty() || !options.tls_key.empty();
  if (https) shared.tls = load_tls(options);
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw Error(ErrorCode::kInvalidInput, "--host " + options.host + ": " + ec.message());
  asio::io_context& first = *shared.contexts[0];
  tcp::acceptor acceptor(asio::make_strand(first));
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorCode::kIo, "cannot listen on " + options.host + ":" +
                                    std::to_string(options.port) + ": " + ec.message());
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  size_t accepted = 0;
  std::function<void()> accept = [&] {
    asio::io_context& next = *shared.contexts[accepted++ % count];
    acceptor.async_accept(asio::make_strand(next), [&](beast::error_code aec, tcp::socket socket) {
      if (aec) return;  // closed by a signal
      size_t open;
      {
        std::lock_guard lock(shared.mutex);
        open = shared.sessions.size();
      }
      bool over = open >= shared.options.max_connections;
      if (auto tls = shared.current_tls())
        std::make_shared<Session<TlsStream>>(std::move(socket), shared, std::move(tls))
            ->start(over);
      else
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), shared)->start(over);
      accept();
    });
  };
  accept();

  // On SIGHUP: the certificate and key are read again for new connections (a file that cannot be
  // used leaves the old ones in place), then on_reload runs. The listener stays open.
  asio::signal_set hangup(first);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const beast::error_code& hec, int) {
      if (hec) return;
      if (https) {
        try {
          auto fresh = load_tls(options);
          {
            std::lock_guard lock(shared.mutex);
            shared.tls = fresh;
          }
          std::cout << "SIGHUP: new connections get the certificate in " << options.tls_cert << " ("
                    << describe_certificate(fresh->native_handle()) << ")" << std::endl;
        } catch (const Error& e) {
          spdlog::error("SIGHUP: {}; still serving the previous certificate", e.what());
        }
      }
      if (options.on_reload) options.on_reload();
      await_hangup();
    });
  };
  if (https || options.on_reload) {
    hangup.add(SIGHUP);
    await_hangup();
  }

  // On a signal: stop accepting, ask every session to stop, and give requests in flight
  // drain_timeout to finish; the io_context then runs out of work, or is stopped.
  std::thread watchdog;
  asio::signal_set signals(first, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& sec, int) {
    if (sec) return;
    shared.stopping = true;
    if (options.on_stopping) options.on_stopping();
    asio::post(acceptor.get_executor(), [&] { acceptor.close(); });
    beast::error_code ignored;
    hangup.cancel(ignored);
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(shared.mutex);
      for (auto& [id, weak] : shared.sessions)
        if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    for (auto& s : open) s->stop();
    for (auto& guard : shared.idle) guard.reset();
    watchdog = std::thread([&] {
      std::unique_lock lock(shared.mutex);
      if (!shared.done.wait_for(lock, options.drain_timeout,
                                [&] { return shared.sessions.empty(); }))
        shared.stop_all();
    });
  });

  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i)
    pool.emplace_back([&shared, i, count] { shared.contexts[i % count]->run(); });
  first.run();
  for (auto& t : pool) t.join();
  {
    std::lock_guard lock(shared.mutex);
    shared.done.notify_all();
  }
  if (watchdog.joinable()) watchdog.join();
}

}  // namespace plinth::http
