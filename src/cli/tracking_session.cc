// The tracking session every tracking command opens: a database, or a server's REST API.
#include "cli/tracking_session.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "core/utc_time.h"

namespace plinth::cli {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void add_tracking_flags(CLI::App* cmd, TrackingFlags& flags) {
  cmd->add_option("--tracking-uri", flags.tracking_uri,
                  "sqlite:///PATH.db or postgresql://... (default: $PLINTH_TRACKING_URI, "
                  "$MLFLOW_TRACKING_URI, else sqlite:///mlruns.db at the project root)");
  cmd->add_option("--artifacts-destination", flags.artifacts_destination,
                  "Folder or s3://bucket/prefix for artifacts (default: mlartifacts/ at the "
                  "project root)");
}

namespace {

// Who runs this process, for the audit log of changes made without a server.
std::string os_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  std::string user = env("USER");
  return user.empty() ? "uid " + std::to_string(geteuid()) : user;
}

}  // namespace

Session::Session(const TrackingFlags& flags)
    : TrackingStores(
          flags.tracking_uri.empty() ? registry::environment_tracking_uri() : flags.tracking_uri,
          flags.artifacts_destination) {
  if (!is_server()) actor.emplace("local:" + os_user());
}

std::string format_time(int64_t ms) {
  return core::format_utc(static_cast<std::time_t>(ms / 1000), "%Y-%m-%d %H:%M:%S");
}

}  // namespace plinth::cli
