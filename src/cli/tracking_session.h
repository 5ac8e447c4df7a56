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

// The stores a command works on (registry::TrackingStores): the database the tracking URI names
// (embedded mode), or the server's REST API for an http(s):// tracking URI, signed in with
// MLflow's variables. Registry changes made in embedded mode are recorded in the audit log as
// "local:USER", the operating-system user, for the Session's lifetime.
struct Session : registry::TrackingStores {
  std::optional<auth::ActingUser> actor;

  // The tracking URI: --tracking-uri, else registry::environment_tracking_uri().
  explicit Session(const TrackingFlags& flags);
};

std::string format_time(int64_t ms);  // "2026-12-06 06:30:00" (UTC)

}  // namespace plinth::cli
