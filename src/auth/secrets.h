#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plinth::auth {

// Argon2id (libsodium's crypto_pwhash_str, interactive limits): the encoded hash with its salt
// and parameters. Throws Error(kInvalidInput) for an empty password, Error(kInternal) when the
// hash cannot be computed (out of memory).
std::string hash_password(std::string_view password);
// Whether `password` matches `encoded` (a hash_password result); false for a malformed hash.
bool verify_password(std::string_view encoded, std::string_view password);

// A fresh random bearer token: "plinth_" and 64 hex digits.
std::string new_token();
// SHA-256 of `token` in hex: what the database keeps instead of the token.
std::string hash_token(std::string_view token);
// Compares in time independent of where the strings differ (same-length inputs).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace plinth::auth

namespace plinth::auth {

// The credentials an Authorization header carries: "Basic base64(user:password)" (what MLflow's
// client sends from MLFLOW_TRACKING_USERNAME/PASSWORD) or "Bearer TOKEN" (MLFLOW_TRACKING_TOKEN).
struct Credentials {
  bool bearer = false;
  std::string username;  // empty for a bearer token
  std::string secret;    // the password or the token
};
// nullopt for a missing or malformed header.
std::optional<Credentials> parse_authorization(std::string_view header);
// "Basic base64(username:password)", the header MLflow's client sends.
std::string basic_authorization(std::string_view username, std::string_view password);

}  // namespace plinth::auth
