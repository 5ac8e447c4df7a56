#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "registry/registry.h"
#include "tracking/artifact_store.h"
#include "tracking/database.h"
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

// Stores opened for one tracking URI: a database (sqlite:///, postgresql://; embedded mode) or
// a server's REST API (http://, https://).
struct TrackingStores {
  std::unique_ptr<tracking::Database> db;
  std::unique_ptr<tracking::Store> store;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<tracking::ArtifactStore> artifacts;
  std::filesystem::path artifacts_root;  // when artifacts are a local folder; else downloaded

  // `artifacts_destination` empty: mlartifacts/ at the project root (embedded mode only).
  TrackingStores(const std::string& tracking_uri, const std::string& artifacts_destination);

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

// Whether `text` is such a URI rather than a path.
bool is_model_uri(const std::string& text);

}  // namespace plinth::registry
