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
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

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

class Session;

// What serve() and the sessions share. On a signal serve() sets `stopping`, asks every session
// to stop (idle ones close at once, busy ones after their response) and waits for the count of
// sessions to reach zero.
struct Shared {
  // Connections are spread over the contexts round-robin; each context is run by its share of
  // the threads. One context per thread avoids waking other threads for every operation.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  ServerOptions options;
  Handler handler;
  std::mutex mutex;
  std::condition_variable done;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_id = 0;
  std::atomic<bool> stopping{false};

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
};

constexpr size_t kHeaderLimit = 16 * 1024;

// One connection: read a header (header_timeout), then the body (body_timeout), run the
// handler, write the response, and again while the client keeps the connection alive. All of a
// session's work runs on its strand, so stop() never races a read or a write.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}

  ~Session() {
    std::lock_guard lock(shared_.mutex);
    shared_.sessions.erase(id_);
    if (shared_.sessions.empty()) shared_.done.notify_all();
  }

  // Registers the session and starts reading; a session over the cap answers 503 and closes.
  void start(bool over_capacity) {
    bool stopping;
    {
      std::lock_guard lock(shared_.mutex);
      id_ = shared_.next_id++;
      shared_.sessions.emplace(id_, weak_from_this());
      // Read under the lock the signal handler takes after setting it: a connection accepted
      // while the server stops is either in its list of sessions to stop, or sees this.
      stopping = shared_.stopping;
    }
    if (stopping) return close();
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_address_ = peer.address().to_string();
    if (over_capacity) {
      reply(error_response(503, "TEMPORARILY_UNAVAILABLE",
                           "the server has too many open connections; retry later"),
            false);
      return;
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // From any thread: close when idle, else after the response being prepared.
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->busy_) return;  // the response goes out with "Connection: close"
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(shared_.options.body_limit);
    stream_.expires_after(shared_.options.header_timeout);
    beast::http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return refuse(ec);
    busy_ = true;
    if (parser_->is_done()) return on_request({});
    stream_.expires_after(shared_.options.body_timeout);
    beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    if (ec) return refuse(ec);
    stream_.expires_never();
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
    stream_.expires_after(shared_.options.body_timeout);
    beast::http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    busy_ = false;
    if (ec || !keep_alive_ || shared_.stopping) return close();
    read_header();
  }

  void close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Shared& shared_;
  uint64_t id_ = 0;
  std::string peer_address_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  beast::http::response<beast::http::string_body> response_;
  bool busy_ = false, keep_alive_ = false;
};

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
      std::make_shared<Session>(std::move(socket), shared)
          ->start(open >= shared.options.max_connections);
      accept();
    });
  };
  accept();

  // On a signal: stop accepting, ask every session to stop, and give requests in flight
  // drain_timeout to finish; the io_context then runs out of work, or is stopped.
  std::thread watchdog;
  asio::signal_set signals(first, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& sec, int) {
    if (sec) return;
    shared.stopping = true;
    if (options.on_stopping) options.on_stopping();
    asio::post(acceptor.get_executor(), [&] { acceptor.close(); });
    std::vector<std::shared_ptr<Session>> open;
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
