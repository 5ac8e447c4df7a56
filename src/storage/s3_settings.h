#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "http/client.h"
#include "storage/sigv4.h"

namespace plinth::storage {

// Where an S3 remote (or any s3:// URI) lives and how to sign for it, resolved from the remote's
// options, the environment and the AWS shared files in the order the AWS CLI and SDKs use:
// - credentials: the remote's access_key_id/secret_access_key/session_token; else, when the
//   remote names a `profile`, that profile in ~/.aws/credentials then ~/.aws/config; else
//   AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; else profile $AWS_PROFILE or
//   "default" in ~/.aws/credentials then ~/.aws/config.
// - region: the remote's `region`, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in
//   ~/.aws/config, else us-east-1.
// - endpoint: the remote's `endpointurl`, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//   endpoint_url, else AWS's regional endpoint. AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE
//   move the shared files.
// - TLS (https endpoints): the CA bundle from --ca-bundle/PLINTH_CA_BUNDLE, the remote's
//   `ssl_verify` when it is a path (DVC's option), AWS_CA_BUNDLE, the profile's ca_bundle, then
//   http::pick_ca_bundle's generic variables; `ssl_verify = false` turns verification off.
struct S3Settings {
  std::string bucket;
  std::string prefix;       // key prefix inside the bucket, no leading or trailing '/'
  std::string endpoint;     // scheme://host[:port], no trailing '/'
  bool path_style = false;  // https://endpoint/bucket/key instead of https://bucket.endpoint/key
  std::string region;
  Credentials credentials;
  std::string credentials_from;  // where the credentials came from, for -v logs (never them)
  http::TlsVerify tls;
};

using Getenv = std::function<std::optional<std::string>(const std::string& name)>;
Getenv process_environment();

// Throws Error(kInvalidInput) for a malformed URL or when no credentials are found, naming the
// remote and every place that was looked at.
S3Settings resolve_s3_settings(const std::string& remote_name, const std::string& url,
                               const std::map<std::string, std::string>& options,
                               const Getenv& getenv);

// The same for an s3:// URI named on the command line (a table, a prefix): the environment and
// the AWS shared files only; `prefix` is the URI's key. Errors name the URI.
S3Settings resolve_s3_uri_settings(const std::string& uri, const Getenv& getenv);

}  // namespace plinth::storage
