#include "auth/token_gate.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "auth/secrets.h"
#include "core/error.h"

namespace plinth::auth {
namespace {

constexpr size_t kMinTokenLength = 16;

// RFC 6750's b64token: what a Bearer header can carry.
bool valid_token(const std::string& t) {
  size_t end = t.find_last_not_of('=');
  if (end == std::string::npos) return false;
  for (size_t i = 0; i <= end; ++i) {
    char c = t[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("-._~+/", c)) return false;
  }
  return true;
}

std::vector<std::string> read_digests(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    int err = errno;
    throw Error(err == ENOENT   ? ErrorCode::kNotFound
                : err == EACCES ? ErrorCode::kPermission
                                : ErrorCode::kIo,
                "--auth-token-file " + file + ": cannot read it: " + std::strerror(err));
  }
  std::vector<std::string> digests;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::string token = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
    std::string where = "--auth-token-file " + file + " line " + std::to_string(number);
    if (!valid_token(token))
      throw Error(ErrorCode::kInvalidInput,
                  where +
                      ": a token may hold only letters, digits and -._~+/ (then '=' "
                      "padding), one token per line");
    if (token.size() < kMinTokenLength)
      throw Error(ErrorCode::kInvalidInput,
                  where + ": the token is shorter than " + std::to_string(kMinTokenLength) +
                      " characters; make one with `openssl rand -hex 32`");
    digests.push_back(hash_token(token));
  }
  if (in.bad()) throw Error(ErrorCode::kIo, "--auth-token-file " + file + ": reading it failed");
  if (digests.empty())
    throw Error(ErrorCode::kInvalidInput,
                "--auth-token-file " + file +
                    " holds no token; put one per line (make one with `openssl rand -hex 32`)");
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077))
    spdlog::warn("--auth-token-file {} can be read by other users of this machine; chmod 600 it",
                 file);
  return digests;
}

http::ServerResponse unauthorized(const std::string& detail, bool invalid) {
  std::string challenge = "Bearer realm=\"plinth\"";
  if (invalid) challenge += ", error=\"invalid_token\"";
  return {401,
          "application/json",
          "{\"detail\": \"" + detail + "\"}",
          {{"WWW-Authenticate", challenge}}};
}

}  // namespace

TokenGate::TokenGate(std::string file, std::set<std::string> open_paths)
    : file_(std::move(file)), open_(std::move(open_paths)) {
  digests_ = std::make_shared<const Digests>(read_digests(file_));
}

void TokenGate::reload() {
  try {
    auto fresh = std::make_shared<const Digests>(read_digests(file_));
    size_t n = fresh->size();
    digests_ = std::move(fresh);
    std::cout << "SIGHUP: " << n << " bearer token(s) now accepted, from " << file_ << std::endl;
  } catch (const Error& e) {
    spdlog::error("SIGHUP: {}; the tokens read before stay in force", e.what());
  }
}

std::optional<http::ServerResponse> TokenGate::refuse(const http::ServerRequest& request) const {
  if (open_.count(request.path)) return std::nullopt;
  auto header = request.headers.find("authorization");
  if (header == request.headers.end())
    return unauthorized("this endpoint needs a bearer token: send Authorization: Bearer TOKEN",
                        false);
  auto credentials = parse_authorization(header->second);
  if (!credentials || !credentials->bearer || credentials->secret.find(' ') != std::string::npos)
    return unauthorized("the Authorization header is not of the form \\\"Bearer TOKEN\\\"", true);
  std::string digest = hash_token(credentials->secret);
  auto digests = digests_.load();
  bool match = false;
  for (const auto& d : *digests) match |= constant_time_equal(d, digest);  // no early exit
  if (!match) return unauthorized("the bearer token is not valid", true);
  return std::nullopt;
}

}  // namespace plinth::auth
