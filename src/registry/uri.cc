#include "registry/uri.h"

#include <algorithm>

#include "core/error.h"
#include "tracking/artifact_store.h"

namespace plinth::registry {
namespace {

[[noreturn]] void malformed(const std::string& uri, const std::string& why) {
  throw Error(ErrorCode::kInvalidInput, "Invalid model URI '" + uri + "': " + why +
                                            ". Use models:/NAME/VERSION, models:/NAME/STAGE, "
                                            "models:/NAME/latest, models:/NAME@ALIAS or "
                                            "runs:/RUN_ID/PATH");
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ModelVersion resolve_version(const std::string& uri, const std::string& rest, Registry& registry) {
  if (auto at = rest.find('@'); at != std::string::npos) {
    std::string name = rest.substr(0, at), alias = rest.substr(at + 1);
    if (name.empty() || alias.empty() || alias.find('/') != std::string::npos)
      malformed(uri, "expected NAME@ALIAS");
    try {
      return registry.version_by_alias(name, alias);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kInvalidInput) throw Error(ErrorCode::kNotFound, e.what());
      throw;
    }
  }
  auto slash = rest.rfind('/');
  std::string name = rest.substr(0, slash), selector = rest.substr(slash + 1);
  if (name.empty() || selector.empty()) malformed(uri, "expected NAME/VERSION or NAME/STAGE");
  if (all_digits(selector)) return registry.get_version(name, selector);
  std::vector<ModelVersion> candidates;
  if (selector == "latest" || selector == "Latest") {
    candidates = registry.latest_versions(name, {});
  } else {
    candidates = registry.latest_versions(name, {canonical_stage(selector)});
  }
  if (candidates.empty())
    throw Error(ErrorCode::kNotFound,
                "No versions of model '" + name + "' in stage '" + selector + "' (" + uri + ")");
  return *std::max_element(
      candidates.begin(), candidates.end(),
      [](const ModelVersion& a, const ModelVersion& b) { return a.version < b.version; });
}

}  // namespace

std::string resolve_artifact_uri(const std::string& uri, Registry& registry,
                                 tracking::Store& store) {
  if (uri.rfind("runs:/", 0) == 0) {
    std::string rest = uri.substr(6);
    while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
    auto slash = rest.find('/');
    std::string run_id = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (run_id.empty()) malformed(uri, "no run id");
    std::string base = store.get_run(run_id).info.artifact_uri;
    path = tracking::checked_artifact_path(path);
    return path.empty() ? base : base + "/" + path;
  }
  if (uri.rfind("models:/", 0) == 0) {
    std::string rest = uri.substr(8);
    if (rest.find('/') == std::string::npos && rest.find('@') == std::string::npos)
      return store.get_logged_model(rest).artifact_uri;
    ModelVersion v = resolve_version(uri, rest, registry);
    std::string location = registry.download_uri(v.name, std::to_string(v.version));
    return location == uri ? location : resolve_artifact_uri(location, registry, store);
  }
  return uri;
}

std::optional<ModelVersion> resolve_model_version(const std::string& uri, Registry& registry) {
  if (uri.rfind("models:/", 0) != 0) return std::nullopt;
  std::string rest = uri.substr(8);
  if (rest.find('/') == std::string::npos && rest.find('@') == std::string::npos)
    return std::nullopt;
  return resolve_version(uri, rest, registry);
}

std::filesystem::path local_artifact_path(const std::string& artifact_uri,
                                          const std::filesystem::path& artifacts_root) {
  if (artifact_uri.rfind("mlflow-artifacts:", 0) == 0)
    return artifacts_root / tracking::proxied_path(artifact_uri);
  if (artifact_uri.rfind("file://", 0) == 0) return artifact_uri.substr(7);
  if (artifact_uri.find("://") != std::string::npos)
    throw Error(ErrorCode::kInvalidInput,
                "artifact URI '" + artifact_uri + "' is not on this machine; download it first");
  return artifact_uri;
}

}  // namespace plinth::registry
