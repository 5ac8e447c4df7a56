#include "server/tracking_server.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "http/server.h"
#include "server/internal/routes.h"

namespace plinth::server {

TrackingServer::TrackingServer(tracking::Store& store, registry::Registry& registry,
                               tracking::ArtifactStore& artifacts) {
  internal::add_tracking_routes(router_, store, artifacts);
  internal::add_registry_routes(router_, registry);
  internal::add_artifact_routes(router_, artifacts, store, registry);
  internal::add_ui_routes(router_, store);
}

http::ServerResponse TrackingServer::handle(const http::ServerRequest& request) const {
  return router_.dispatch(request);
}

void run_server(const ServeOptions& options) {
  auto db = tracking::open_database(options.backend_store_uri);
  auto store = tracking::make_store(*db, "mlflow-artifacts:");
  auto registry = registry::make_registry(*db, *store);
  auto artifacts = tracking::open_artifact_store(options.artifacts_destination);
  TrackingServer server(*store, *registry, *artifacts);
  http::ServerOptions http_options;
  http_options.host = options.host;
  http_options.port = options.port;
  // Store calls block on the database, one request at a time: more threads than cores let
  // requests that need no database (artifacts, health, the UI) go on meanwhile. Each thread runs
  // its own event loop, with its connections: a shared loop handed every step of a request to
  // another thread (12 context switches per request against 1, and about a fifth more server
  // CPU per MLflow client run; bench/mlflow.sh).
  http_options.threads = 4 * std::max(1u, std::thread::hardware_concurrency());
  http_options.contexts = 0;
  http_options.on_listening = [&](uint16_t port) {
    std::cout << "plinth server listening on http://" << options.host << ":" << port << " (store "
              << options.backend_store_uri << ", artifacts " << options.artifacts_destination << ")"
              << std::endl;
  };
  http::serve(http_options, [&](const http::ServerRequest& r) { return server.handle(r); });
}

}  // namespace plinth::server
