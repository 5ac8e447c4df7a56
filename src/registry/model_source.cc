#include "registry/model_source.h"

#include <cstdlib>

#include "auth/secrets.h"
#include "core/error.h"
#include "core/file_io.h"
#include "registry/uri.h"

namespace plinth::registry {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

fs::path project_root() {
  fs::path dir = fs::current_path();
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / ".dvc") || fs::exists(d / ".git")) return d;
    if (d == d.parent_path()) break;
  }
  return dir;
}

std::string environment_tracking_uri() {
  for (const char* name : {"PLINTH_TRACKING_URI", "MLFLOW_TRACKING_URI"})
    if (std::string v = env(name); !v.empty()) return v;
  return "sqlite:///" + (project_root() / "mlruns.db").string();
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

bool TrackingStores::is_server() const {
  return uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0;
}

TrackingStores::TrackingStores(const std::string& tracking_uri,
                               const std::string& artifacts_destination)
    : uri(tracking_uri) {
  if (is_server()) {
    auto client = std::make_shared<tracking::RestClient>(uri, credentials_from_env());
    store = tracking::connect_store(client);
    registry = connect_registry(client);
    artifacts = tracking::connect_artifacts(client);
    return;
  }
  std::string dest = artifacts_destination.empty() ? (project_root() / "mlartifacts").string()
                                                   : artifacts_destination;
  db = tracking::open_database(uri);
  store = tracking::make_store(*db, "mlflow-artifacts:");
  registry = make_registry(*db, *store);
  artifacts = tracking::open_artifact_store(dest);
  if (dest.rfind("s3://", 0) != 0) artifacts_root = fs::absolute(dest);
}

namespace {

bool download(tracking::ArtifactStore& artifacts, const std::string& path, const fs::path& dest) {
  auto entries = artifacts.list(path);
  if (entries.empty()) {
    auto bytes = artifacts.get(path);
    if (!bytes) return false;
    fs::create_directories(dest.parent_path());
    core::write_file_atomic(dest, *bytes);
    return true;
  }
  for (const auto& e : entries) download(artifacts, path + "/" + e.path, dest / e.path);
  return true;
}

}  // namespace

fs::path TrackingStores::local_copy(const std::string& artifact_uri) {
  if (!artifacts_root.empty() || artifact_uri.rfind("mlflow-artifacts:", 0) != 0)
    return local_artifact_path(artifact_uri, artifacts_root);
  std::string path = tracking::proxied_path(artifact_uri);
  fs::path dest = project_root() / ".plinth" / "artifacts" / path;
  if (!download(*artifacts, path, dest))
    throw Error(ErrorCode::kNotFound, "no artifacts at " + artifact_uri);
  return dest;
}

ResolvedModel resolve_model(const std::string& uri, TrackingStores& s) {
  ResolvedModel r;
  std::string exact = uri;
  if (auto v = resolve_model_version(uri, *s.registry)) {
    r.name = v->name;
    r.version = std::to_string(v->version);
    exact = "models:/" + r.name + "/" + r.version;
  }
  r.folder = s.local_copy(resolve_artifact_uri(exact, *s.registry, *s.store));
  return r;
}

ResolvedModel resolve_model(const std::string& uri) {
  TrackingStores stores(environment_tracking_uri(), "");
  return resolve_model(uri, stores);
}

bool is_model_uri(const std::string& text) {
  return text.rfind("models:/", 0) == 0 || text.rfind("runs:/", 0) == 0;
}

}  // namespace plinth::registry
