#pragma once

#include <memory>
#include <string>

#include "auth/users.h"
#include "http/router.h"
#include "registry/registry.h"
#include "tracking/artifact_store.h"
#include "tracking/store.h"

namespace plinth::server {

namespace internal {
class Access;
}

// Team-server mode (--auth): who may do what, from the users in `users`.
struct AuthSettings {
  auth::UserStore* users = nullptr;  // null: no authentication
  // What users get on experiments and models nobody granted them anything on (MLflow's
  // default_permission).
  auth::Permission default_permission = auth::Permission::kRead;
};

// MLflow's REST API (spec mlflow-rest.md §1, §4, §5, §8) over a store, a registry and an
// artifact store: every RPC under /api/2.0/mlflow/ and its /ajax-api/ twin, the
// mlflow-artifacts proxy, /health and /version. Errors are MLflow's JSON body with the status
// its error_code maps to; predictable failures are never 5xx. Thread-safe.
class TrackingServer {
 public:
  TrackingServer(tracking::Store& store, registry::Registry& registry,
                 tracking::ArtifactStore& artifacts, const AuthSettings& auth = {});
  ~TrackingServer();

  http::ServerResponse handle(const http::ServerRequest& request) const;
  const http::Router& router() const { return router_; }

 private:
  http::Router router_;
  std::unique_ptr<internal::Access> access_;
};

struct ServeOptions {
  std::string backend_store_uri = "sqlite:///mlruns.db";
  std::string artifacts_destination = "./mlartifacts";
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  bool auth = false;              // --auth
  bool insecure_no_auth = false;  // --insecure-no-auth: no login even beyond loopback
  std::string default_permission = "READ";
  // The admin created on first start with logins (the CLI takes them from the environment or
  // an --auth-config file); empty once the database holds an admin.
  std::string admin_username;
  std::string admin_password;
};

// Whether `host` only accepts connections from this machine.
bool is_loopback(const std::string& host);

// `plinth server`: opens the stores and serves until SIGINT/SIGTERM. Prints the URL it
// listens on once ready. Requires logins with --auth, and when listening beyond loopback
// unless insecure_no_auth; throws Error(kInvalidInput) then when no admin can be bootstrapped.
void run_server(const ServeOptions& options);

}  // namespace plinth::server
