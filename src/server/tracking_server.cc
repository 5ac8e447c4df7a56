#include "server/tracking_server.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "core/error.h"
#include "http/server.h"
#include "server/internal/access.h"
#include "server/internal/routes.h"

namespace plinth::server {

TrackingServer::TrackingServer(tracking::Store& store, registry::Registry& registry,
                               tracking::ArtifactStore& artifacts, const AuthSettings& auth) {
  internal::add_tracking_routes(router_, store, artifacts);
  internal::add_registry_routes(router_, registry);
  internal::add_artifact_routes(router_, artifacts, store, registry);
  internal::add_wandb_routes(router_, store, artifacts);
  internal::add_ui_routes(router_, store);
  if (auth.users) {
    access_ =
        std::make_unique<internal::Access>(*auth.users, store, registry, auth.default_permission);
    internal::add_auth_routes(router_, *auth.users, *access_);
  }
}

TrackingServer::~TrackingServer() = default;

http::ServerResponse TrackingServer::handle(const http::ServerRequest& request) const {
  if (access_) return access_->handle(router_, request);
  return router_.dispatch(request);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void run_server(const ServeOptions& options) {
  auto db = tracking::open_database(options.backend_store_uri);
  auto store = tracking::make_store(*db, "mlflow-artifacts:");
  auto registry = registry::make_registry(*db, *store);
  auto artifacts = tracking::open_artifact_store(options.artifacts_destination);
  AuthSettings auth;
  std::unique_ptr<auth::UserStore> users;
  bool login = options.auth || (!is_loopback(options.host) && !options.insecure_no_auth);
  if (login) {
    auto p = auth::parse_permission(options.default_permission);
    if (!p)
      throw Error(ErrorCode::kInvalidInput,
                  "--default-permission '" + options.default_permission +
                      "' is not a permission: use READ, USE, EDIT, MANAGE or NO_PERMISSIONS");
    users = std::make_unique<auth::UserStore>(*db);
    try {
      auth::bootstrap_admin(*users, options.admin_username, options.admin_password);
    } catch (const Error& e) {
      if (options.auth) throw;
      throw Error(e.code(), std::string("listening on ") + options.host +
                                " (beyond loopback) requires logins: " + e.what() +
                                "; or pass --insecure-no-auth to serve without them");
    }
    auth.users = users.get();
    auth.default_permission = *p;
  }
  TrackingServer server(*store, *registry, *artifacts, auth);
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
              << options.backend_store_uri << ", artifacts " << options.artifacts_destination
              << ", " << (login ? "logins required" : "no logins") << ")" << std::endl;
  };
  http::serve(http_options, [&](const http::ServerRequest& r) { return server.handle(r); });
}

}  // namespace plinth::server
