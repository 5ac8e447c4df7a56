#include "auth/secrets.h"

#include <sodium.h>

#include "core/error.h"

namespace plinth::auth {
namespace {

void init() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error(ErrorCode::kInternal, "libsodium could not be initialised");
}

std::string hex(const unsigned char* bytes, size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
  init();
  if (password.empty()) throw Error(ErrorCode::kInvalidInput, "the password is empty");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw Error(ErrorCode::kInternal, "hashing a password ran out of memory");
  return out;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  init();
  if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(encoded);  // crypto_pwhash_str_verify reads a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string new_token() {
  init();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return "plinth_" + hex(bytes, sizeof bytes);
}

std::string hash_token(std::string_view token) {
  init();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return hex(digest, sizeof digest);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  init();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace plinth::auth

namespace plinth::auth {

std::optional<Credentials> parse_authorization(std::string_view header) {
  init();
  size_t space = header.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = header.substr(space + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return std::nullopt;
  if (scheme == "bearer") return Credentials{true, "", std::string(value)};
  if (scheme != "basic") return std::nullopt;
  std::string decoded(value.size(), '\0');
  size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        value.data(), value.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  decoded.resize(n);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return Credentials{false, decoded.substr(0, colon), decoded.substr(colon + 1)};
}

std::string basic_authorization(std::string_view username, std::string_view password) {
  init();
  std::string plain = std::string(username) + ":" + std::string(password);
  std::string out(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return "Basic " + out;
}

}  // namespace plinth::auth
