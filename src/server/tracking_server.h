#pragma once

#include <string>

#include "http/router.h"
#include "registry/registry.h"
#include "tracking/artifact_store.h"
#include "tracking/store.h"

namespace plinth::server {

// MLflow's REST API (spec mlflow-rest.md §1, §4, §5, §8) over a store, a registry and an
// artifact store: every RPC under /api/2.0/mlflow/ and its /ajax-api/ twin, the
// mlflow-artifacts proxy, /health and /version. Errors are MLflow's JSON body with the status
// its error_code maps to; predictable failures are never 5xx. Thread-safe.
class TrackingServer {
 public:
  TrackingServer(tracking::Store& store, registry::Registry& registry,
                 tracking::ArtifactStore& artifacts);

  http::ServerResponse handle(const http::ServerRequest& request) const;

 private:
  http::Router router_;
};

struct ServeOptions {
  std::string backend_store_uri = "sqlite:///mlruns.db";
  std::string artifacts_destination = "./mlartifacts";
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
};

// `plinth server`: opens the stores and serves until SIGINT/SIGTERM. Prints the URL it
// listens on once ready.
void run_server(const ServeOptions& options);

}  // namespace plinth::server
