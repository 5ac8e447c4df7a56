#pragma once

#include <string>
#include <utility>
#include <vector>

namespace plinth::storage {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// What AWS Signature Version 4 signs of a request.
struct SignedRequest {
  std::string method;
  std::string canonical_uri;  // the path exactly as sent, already percent-encoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, with host
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
  std::string amz_date;      // "20130524T000000Z"
};

// The pieces of the algorithm, exposed so tests can compare each with AWS's published examples.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);
std::string canonical_request(const SignedRequest& request);
std::string string_to_sign(const SignedRequest& request, const std::string& region,
                           const std::string& service);
// The value of the Authorization header.
std::string authorization(const SignedRequest& request, const Credentials& credentials,
                          const std::string& region, const std::string& service);

// "20130524T000000Z" for now (UTC).
std::string amz_date_now();

}  // namespace plinth::storage
