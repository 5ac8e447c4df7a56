#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http/client.h"
#include "tracking/artifact_store.h"
#include "tracking/store.h"

namespace plinth::tracking {

// What a client signs in with.
struct ClientCredentials {
  std::string authorization;  // the Authorization header's value; "" sends none
  std::string source;         // where it came from, named in errors ("MLFLOW_TRACKING_TOKEN")
};

// Calls a plinth (or MLflow) tracking server's REST API. Thread-safe (one connection, used by
// one call at a time). Error answers become plinth::Error: RESOURCE_DOES_NOT_EXIST -> kNotFound,
// RESOURCE_ALREADY_EXISTS -> kConflict, other 4xx -> kInvalidInput, the rest -> kIo; the
// message is the server's. A 401, 403 or 429 becomes kPermission, saying which variables to set
// or which credentials were refused (never their values).
class RestClient {
 public:
  // `base_url`: "http://host:port"; a trailing slash is dropped.
  explicit RestClient(std::string base_url, ClientCredentials credentials = {});

  // An RPC under /api/2.0/<api>/ (MLflow's, or Plinth's own "plinth"): GET sends `message` as
  // the query string, others as JSON.
  nlohmann::json call(const std::string& method, const std::string& rpc,
                      const nlohmann::json& message, const std::string& api = "mlflow");
  // A request to `path` (absolute, already URL-encoded) with a raw body; returns the response.
  http::Response send(const std::string& method, const std::string& path, std::string_view body);

  const std::string& base_url() const { return base_url_; }

 private:
  [[noreturn]] void fail(const http::Response& response, const std::string& what);

  std::string base_url_;
  ClientCredentials credentials_;
  std::mutex mutex_;
  http::Client client_;
};

// The Store of the server at `base_url`, over its REST API.
std::unique_ptr<Store> connect_store(std::shared_ptr<RestClient> client);
// The server's mlflow-artifacts proxy as an ArtifactStore.
std::unique_ptr<ArtifactStore> connect_artifacts(std::shared_ptr<RestClient> client);

}  // namespace plinth::tracking
