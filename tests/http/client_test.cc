// The HTTP client against a scripted server on loopback: which failures it retries, and that
// a retried download reaches its sink only once.
#include "http/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "core/error.h"

namespace plinth::http {
namespace {

// Answers each connection with the next scripted response, then closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::pair<int, std::string>> script)
      : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("cannot listen on loopback");
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/object"; }
  int requests() const { return requests_; }

 private:
  void serve() {
    for (const auto& [status, body] : script_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::string response =
          "HTTP/1.1 " + std::to_string(status) +
          " X\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
          body;
      [[maybe_unused]] ssize_t w = ::write(client, response.data(), response.size());
      ::close(client);
    }
  }

  std::vector<std::pair<int, std::string>> script_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

const RetryPolicy kFast{5, std::chrono::milliseconds(1)};

TEST(HttpClient, RetriesServerErrorsAndDeliversOnlyTheGoodBody) {
  ScriptedServer server({{503, "slow down"}, {500, "oops"}, {200, "the bytes"}});
  Client client(kFast);
  std::string received;
  int resets = 0;
  Sink sink{[&](std::string_view d) { received.append(d); },
            [&] {
              received.clear();
              ++resets;
            }};
  Response r = client.send({"GET", server.url(), {}, {}}, &sink);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(received, "the bytes");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(resets, 3);  // before every attempt
}

TEST(HttpClient, ClientErrorsAreNotRetried) {
  ScriptedServer server({{404, "<Error><Code>NoSuchKey</Code></Error>"}, {200, "never"}});
  Client client(kFast);
  Response r = client.send({"GET", server.url(), {}, {}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "<Error><Code>NoSuchKey</Code></Error>");
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, PersistentServerErrorIsReturnedAfterTheLastAttempt) {
  ScriptedServer server({{503, "a"}, {503, "b"}, {503, "c"}});
  Client client({3, std::chrono::milliseconds(1)});
  Response r = client.send({"PUT", server.url(), {}, Body{"payload"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "c");
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpClient, RefusedConnectionFailsWithAClearErrorAfterRetries) {
  int port;
  {
    ScriptedServer gone({});
    port = std::stoi(gone.url().substr(17, 5));
  }
  Client client({2, std::chrono::milliseconds(1)});
  try {
    client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/x?secret=1", {}, {}});
    FAIL() << "a refused connection did not throw";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(what.find("after 2 attempts"), std::string::npos) << what;
    EXPECT_EQ(what.find("secret"), std::string::npos) << "query strings stay out of messages";
  }
}

TEST(HttpClient, UrlEncode) {
  EXPECT_EQ(url_encode("a b/c+d~e", false), "a%20b/c%2Bd~e");
  EXPECT_EQ(url_encode("a/b"), "a%2Fb");
}

}  // namespace
}  // namespace plinth::http
