#include "http/client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"

namespace plinth::http {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Failures on the way that a new attempt may not meet.
bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

// Strips the query string: URLs in messages name the resource, not its parameters.
std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// What to tell a user whose request failed on TLS, or "" for other failures.
std::string tls_failure(CURLcode code, const char* detail, const TlsVerify& tls) {
  std::string trusted = tls.ca_bundle.empty()
                            ? "the system's CAs"
                            : "the CAs in " + tls.ca_bundle + " (from " + tls.origin + ")";
  std::string why = *detail ? std::string(" (") + detail + ")" : "";
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      return "the server's certificate is not trusted" + why + "; trusted were " + trusted +
             ". Give the CA that signed it with " + tls.remedy;
    case CURLE_SSL_CACERT_BADFILE:
      return "the CA bundle " + tls.ca_bundle + " (from " + tls.origin + ") cannot be used" + why +
             "; give a PEM file of CA certificates";
    case CURLE_SSL_CONNECT_ERROR:
      return "the TLS handshake failed" + why + "; check that the URL's server speaks https";
    default:
      return "";
  }
}

}  // namespace

TlsVerify pick_ca_bundle(const std::vector<std::pair<std::string, std::string>>& sources,
                         std::string remedy) {
  std::vector<std::pair<std::string, std::string>> all;
  all.emplace_back("--ca-bundle/PLINTH_CA_BUNDLE", env("PLINTH_CA_BUNDLE"));
  all.insert(all.end(), sources.begin(), sources.end());
  for (const char* name : {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"})
    all.emplace_back(name, env(name));
  TlsVerify out;
  out.remedy = std::move(remedy);
  for (auto& [origin, file] : all) {
    if (file.empty()) continue;
    if (::access(file.c_str(), R_OK) != 0)
      throw Error(ErrorCode::kNotFound, origin + " names the CA bundle " + file +
                                            ", which cannot be read: " + std::strerror(errno));
    out.ca_bundle = file;
    out.origin = origin;
    break;
  }
  return out;
}

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

// The state one attempt shares with libcurl's callbacks.
struct Client::Attempt {
  CURL* curl;
  const Request* request;
  const Sink* sink;
  const std::function<void(uint64_t)>* on_sent;
  Response response;
  uint64_t sent = 0;
  std::string io_error;  // a local read error while sending the body

  static size_t on_header(char* data, size_t size, size_t n, void* self) {
    auto* a = static_cast<Attempt*>(self);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
      a->response.headers.clear();  // a new status line (after 100 Continue or a redirect)
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
      std::string value(line.substr(colon + 1));
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.pop_back();
      value.erase(0, value.find_first_not_of(" \t"));
      a->response.headers.emplace_back(lower(std::string(line.substr(0, colon))), value);
    }
    return size * n;
  }

  static size_t on_body(char* data, size_t size, size_t n, void* self) {
    auto* a = static_cast<Attempt*>(self);
    std::string_view chunk(data, size * n);
    if (a->response.status == 0)
      curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->response.status);
    if (a->sink && a->response.status / 100 == 2)
      a->sink->write(chunk);
    else
      a->response.body.append(chunk);
    return size * n;
  }

  static size_t on_read(char* buf, size_t size, size_t n, void* self) {
    auto* a = static_cast<Attempt*>(self);
    const Body& body = a->request->body;
    uint64_t left = body.length() - a->sent;
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, size * n));
    if (want == 0) return 0;
    if (body.fd >= 0) {
      ssize_t got = ::pread(body.fd, buf, want, static_cast<off_t>(body.offset + a->sent));
      if (got < 0 && errno == EINTR) return on_read(buf, size, n, self);
      if (got <= 0) {
        a->io_error = got < 0 ? std::strerror(errno) : "file shrank while it was being sent";
        return CURL_READFUNC_ABORT;
      }
      want = static_cast<size_t>(got);
    } else {
      std::memcpy(buf, body.data.data() + a->sent, want);
    }
    a->sent += want;
    if (*a->on_sent) (*a->on_sent)(want);
    return want;
  }
};

Client::Client(RetryPolicy retry, TlsVerify tls) : retry_(retry), tls_(std::move(tls)) {
  global_init();
  if (!tls_.verify) {
    static std::once_flag warned;
    std::call_once(warned, [&] {
      spdlog::warn(
          "https:// certificates are not verified ({}): anyone on the way can read and "
          "change what is sent",
          tls_.origin);
    });
  }
  curl_ = curl_easy_init();
  if (!curl_) throw Error(ErrorCode::kInternal, "cannot create an HTTP client (curl_easy_init)");
}

Client::~Client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Response Client::send(const Request& request, const Sink* sink,
                      const std::function<void(uint64_t)>& on_sent) {
  CURL* curl = static_cast<CURL*>(curl_);
  thread_local std::mt19937 rng{std::random_device{}()};
  auto delay = retry_.first_delay;
  for (int attempt_no = 1;; ++attempt_no) {
    curl_easy_reset(curl);
    Attempt attempt{curl, &request, sink, &on_sent, {}, 0, {}};
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers)
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    // A transfer that moves less than 1 KiB/s for 60 s is dead.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &attempt);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt);
    char tls_detail[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, tls_detail);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!tls_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls_.ca_bundle.c_str());
    if (!tls_.verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST" ||
               (request.body.length() > 0 && request.method != "GET")) {  // PATCH, DELETE
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Attempt::on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &attempt);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body.length()));
      if (request.method != "PUT")
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (sink && sink->reset) sink->reset();
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.response.status);

    if (!attempt.io_error.empty())
      throw Error(ErrorCode::kIo,
                  "cannot send " + without_query(request.url) + ": " + attempt.io_error);
    if (std::string tls = tls_failure(code, tls_detail, tls_); !tls.empty())
      throw Error(ErrorCode::kIo, request.method + " " + without_query(request.url) + ": " + tls);
    bool retry = code != CURLE_OK ? transient(code) : attempt.response.status >= 500;
    if (code == CURLE_OK && !retry) return std::move(attempt.response);
    if (!retry || attempt_no >= retry_.attempts) {
      if (code == CURLE_OK) return std::move(attempt.response);  // the caller reports the 5xx
      throw Error(
          ErrorCode::kIo,
          request.method + " " + without_query(request.url) +
              " failed: " + curl_easy_strerror(code) +
              (attempt_no > 1 ? " (after " + std::to_string(attempt_no) + " attempts)" : "") +
              "; check that the server is running and reachable, then run the command "
              "again");
    }
    std::uniform_int_distribution<long> jitter(0, delay.count() / 2);
    std::this_thread::sleep_for(delay + std::chrono::milliseconds(jitter(rng)));
    delay *= 2;
  }
}

std::string url_encode(std::string_view s, bool encode_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace plinth::http
