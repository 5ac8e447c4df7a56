#pragma once

#include "auth/users.h"
#include "registry/registry.h"
#include "server/internal/rpc.h"
#include "tracking/artifact_store.h"
#include "tracking/store.h"

namespace plinth::server::internal {

void add_tracking_routes(http::Router& router, tracking::Store& store,
                         tracking::ArtifactStore& artifacts);
void add_registry_routes(http::Router& router, registry::Registry& registry);
// The mlflow-artifacts proxy (spec §8), the UI's legacy get-artifact downloads, /health and
// /version.
void add_artifact_routes(http::Router& router, tracking::ArtifactStore& artifacts,
                         tracking::Store& store, registry::Registry& registry);

class Access;
// The W&B SDK's protocol (spec wandb-protocol.md): /graphql, file_stream, upload URLs and
// artifact downloads. With `access` (logins on), each operation checks the caller's permission
// on the projects it touches.
void add_wandb_routes(http::Router& router, tracking::Database& db, tracking::Store& store,
                      tracking::ArtifactStore& artifacts, registry::Registry& registry,
                      const Access* access);

// The embedded web UI at / and the endpoints only it uses.
void add_ui_routes(http::Router& router, tracking::Store& store);

// MLflow's user and permission endpoints (its basic-auth app) and Plinth's token endpoint.
void add_auth_routes(http::Router& router, auth::UserStore& users, const Access& access);

// `{root_uri, files[]}` for the folder `path` under the artifact URI `root_uri`, with paths
// relative to root_uri (artifacts/list and logged-model directories).
json list_artifacts(tracking::ArtifactStore& artifacts, const std::string& root_uri,
                    const std::string& path);

}  // namespace plinth::server::internal
