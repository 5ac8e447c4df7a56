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

// Calls a plinth (or MLflow) tracking server's REST API. Thread-safe (one connection, used by
// one call at a time). Error answers become plinth::Error: RESOURCE_DOES_NOT_EXIST -> kNotFound,
// RESOURCE_ALREADY_EXISTS -> kConflict, other 4xx -> kInvalidInput, the rest -> kIo; the
// message is the server's.
class RestClient {
 public:
  explicit RestClient(std::string base_url);  // "http://host:port", no trailing slash

  // An RPC under /api/2.0/mlflow/: GET sends `message` as the query string, others as JSON.
  nlohmann::json call(const std::string& method, const std::string& rpc,
                      const nlohmann::json& message);
  // A request to `path` (absolute, already URL-encoded) with a raw body; returns the response.
  http::Response send(const std::string& method, const std::string& path, std::string_view body);

  const std::string& base_url() const { return base_url_; }

 private:
  [[noreturn]] void fail(const http::Response& response, const std::string& what);

  std::string base_url_;
  std::mutex mutex_;
  http::Client client_;
};

// The Store of the server at `base_url`, over its REST API.
std::unique_ptr<Store> connect_store(std::shared_ptr<RestClient> client);
// The server's mlflow-artifacts proxy as an ArtifactStore.
std::unique_ptr<ArtifactStore> connect_artifacts(std::shared_ptr<RestClient> client);

}  // namespace plinth::tracking
