#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "registry/registry.h"
#include "tracking/artifact_store.h"
#include "tracking/database.h"
#include "tracking/rest_client.h"
#include "tracking/store.h"

// The tracking store, registry and artifacts a tracking URI names, and model URIs resolved
// through them to a local folder: what the CLI and the Python package share, so that
// `plinth serve models:/fraud/Production` and `plinth.load_model("models:/fraud/Production")`
// find the same files.
namespace plinth::registry {

// The folder that holds .dvc or .git above the current directory, else the current directory.
std::filesystem::path project_root();

// The tracking URI the environment selects, as every Plinth command does: $PLINTH_TRACKING_URI,
// else $MLFLOW_TRACKING_URI, else sqlite:///ROOT/mlruns.db at the project root.
std::string environment_tracking_uri();

// What Plinth signs in to a tracking server with, from MLflow's client variables:
// MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (HTTP Basic), else MLFLOW_TRACKING_TOKEN
// (bearer), as MLflow's client chooses. Throws Error(kInvalidInput) when only one of the
// username and password is set.
tracking::ClientCredentials credentials_from_env();

// Stores opened for one tracking URI: a database (sqlite:///, postgresql://; embedded mode) or
// a server's REST API (http://, https://), signed in with credentials_from_env() and its
// certificate checked as tracking::tracking_tls() says (MLFLOW_TRACKING_SERVER_CERT_PATH,
// MLFLOW_TRACKING_INSECURE_TLS, PLINTH_CA_BUNDLE, ...).
struct TrackingStores {
  std::unique_ptr<tracking::Database> db;
  std::unique_ptr<tracking::Store> store;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<tracking::ArtifactStore> artifacts;
  std::filesystem::path artifacts_root;  // when artifacts are a local folder; else downloaded
  std::string uri;                       // the tracking URI in use

  // `artifacts_destination` empty: mlartifacts/ at the project root (embedded mode only).
  TrackingStores(const std::string& tracking_uri, const std::string& artifacts_destination);

  // Whether the store is a server's REST API (an http(s):// tracking URI).
  bool is_server() const;

  // The local folder (or file) holding an artifact URI's files. Artifacts that are not in a
  // local folder are downloaded first, under .plinth/artifacts/ at the project root.
  std::filesystem::path local_copy(const std::string& artifact_uri);
};

// A model URI resolved: its local folder, and for registry URIs the registered name and version
// now behind it (empty otherwise).
struct ResolvedModel {
  std::filesystem::path folder;
  std::string name, version;
};

// models:/NAME/STAGE|VERSION|latest, models:/NAME@ALIAS or runs:/RUN_ID/PATH to the folder
// holding the model, looked up once (a promotion in between cannot mix two versions). Throws
// Error(kNotFound) naming what is unknown.
ResolvedModel resolve_model(const std::string& uri, TrackingStores& stores);
// The same in the stores environment_tracking_uri() names: what `plinth serve models:/...` and
// `plinth.load_model("models:/...")` both do.
ResolvedModel resolve_model(const std::string& uri);

// Whether `text` is such a URI rather than a path.
bool is_model_uri(const std::string& text);

}  // namespace plinth::registry
