// The tracking session every tracking command opens: a database, or a server's REST API.
#include "cli/tracking_session.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "auth/secrets.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/utc_time.h"
#include "registry/uri.h"

namespace plinth::cli {
namespace fs = std::filesystem;

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

tracking::ClientCredentials credentials_from_env() {
  std::string user = env("MLFLOW_TRACKING_USERNAME"), password = env("MLFLOW_TRACKING_PASSWORD");
  if (!user.empty() && !password.empty())
    return {auth::basic_authorization(user, password),
            "MLFLOW_TRACKING_USERNAME=" + user + " and MLFLOW_TRACKING_PASSWORD"};
  if (!user.empty() || !password.empty())
    throw Error(
        ErrorCode::kInvalidInput,
        std::string(user.empty() ? "MLFLOW_TRACKING_PASSWORD" : "MLFLOW_TRACKING_USERNAME") +
            " is set but " +
            (user.empty() ? "MLFLOW_TRACKING_USERNAME" : "MLFLOW_TRACKING_PASSWORD") +
            " is not: set both to sign in with a password, or neither");
  std::string token = env("MLFLOW_TRACKING_TOKEN");
  if (!token.empty()) return {"Bearer " + token, "MLFLOW_TRACKING_TOKEN"};
  return {};
}

namespace {

// Who runs this process, for the audit log of changes made without a server.
std::string os_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  std::string user = env("USER");
  return user.empty() ? "uid " + std::to_string(geteuid()) : user;
}

}  // namespace

bool Session::is_server() const {
  return uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0;
}

Session::Session(const TrackingFlags& flags) {
  fs::path root = project_root();
  uri = flags.tracking_uri;
  if (uri.empty()) uri = env("PLINTH_TRACKING_URI");
  if (uri.empty()) uri = env("MLFLOW_TRACKING_URI");
  if (uri.empty()) uri = "sqlite:///" + (root / "mlruns.db").string();
  if (is_server()) {
    auto client = std::make_shared<tracking::RestClient>(uri, credentials_from_env());
    store = tracking::connect_store(client);
    registry = registry::connect_registry(client);
    artifacts = tracking::connect_artifacts(client);
    return;
  }
  std::string dest = flags.artifacts_destination.empty() ? (root / "mlartifacts").string()
                                                         : flags.artifacts_destination;
  db = tracking::open_database(uri);
  store = tracking::make_store(*db, "mlflow-artifacts:");
  registry = registry::make_registry(*db, *store);
  artifacts = tracking::open_artifact_store(dest);
  if (dest.rfind("s3://", 0) != 0) artifacts_root = fs::absolute(dest);
  actor.emplace("local:" + os_user());
}

fs::path Session::local_copy(const std::string& artifact_uri) {
  if (!artifacts_root.empty() || artifact_uri.rfind("mlflow-artifacts:", 0) != 0)
    return registry::local_artifact_path(artifact_uri, artifacts_root);
  std::string path = tracking::proxied_path(artifact_uri);
  fs::path dest = project_root() / ".plinth" / "artifacts" / path;
  if (!download(path, dest)) throw Error(ErrorCode::kNotFound, "no artifacts at " + artifact_uri);
  return dest;
}

bool Session::download(const std::string& path, const fs::path& dest) {
  auto entries = artifacts->list(path);
  if (entries.empty()) {
    auto bytes = artifacts->get(path);
    if (!bytes) return false;
    fs::create_directories(dest.parent_path());
    core::write_file_atomic(dest, *bytes);
    return true;
  }
  for (const auto& e : entries) download(path + "/" + e.path, dest / e.path);
  return true;
}

std::string format_time(int64_t ms) {
  return core::format_utc(static_cast<std::time_t>(ms / 1000), "%Y-%m-%d %H:%M:%S");
}

}  // namespace plinth::cli
