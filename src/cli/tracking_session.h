#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit.h"
#include "registry/model_source.h"
#include "registry/registry.h"
#include "tracking/artifact_store.h"
#include "tracking/database.h"
#include "tracking/rest_client.h"
#include "tracking/store.h"

namespace plinth::cli {

// The folder that holds .dvc or .git, else the current one.
using registry::project_root;

// The environment variable's value, "" when unset.
std::string env(const char* name);

struct TrackingFlags {
  std::string tracking_uri;
  std::string artifacts_destination;
  std::string run_id;
  bool json = false;
};

void add_tracking_flags(CLI::App* cmd, TrackingFlags& flags);

// What the CLI signs in to a tracking server with, from MLflow's client variables:
// MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (HTTP Basic), else MLFLOW_TRACKING_TOKEN
// (bearer), as MLflow's client chooses. Throws Error(kInvalidInput) when only one of the
// username and password is set.
tracking::ClientCredentials credentials_from_env();

// The stores a command works on: the database the tracking URI names (embedded mode), or the
// server's REST API for an http(s):// tracking URI (signed in with credentials_from_env()).
// Registry changes made in embedded mode are recorded in the audit log as "local:USER", the
// operating-system user, for the Session's lifetime.
struct Session {
  std::unique_ptr<tracking::Database> db;
  std::unique_ptr<tracking::Store> store;
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<tracking::ArtifactStore> artifacts;
  std::filesystem::path artifacts_root;  // when artifacts are a local folder; else downloaded
  std::optional<auth::ActingUser> actor;
  std::string uri;  // the tracking URI in use

  explicit Session(const TrackingFlags& flags);

  // Whether the store is a server's REST API (an http(s):// tracking URI).
  bool is_server() const;

  // The local folder (or file) holding an artifact URI's files. Artifacts that are not in a
  // local folder are downloaded first, under .plinth/artifacts/ at the project root.
  std::filesystem::path local_copy(const std::string& artifact_uri);

 private:
  bool download(const std::string& path, const std::filesystem::path& dest);
};

std::string format_time(int64_t ms);  // "2026-12-06 06:30:00" (UTC)

}  // namespace plinth::cli
