#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "registry/registry.h"
#include "tracking/store.h"

namespace plinth::registry {

// The artifact URI a model URI stands for (spec mlflow-rest.md §12):
//   models:/NAME/VERSION, models:/NAME/STAGE (case-insensitive; highest version in it),
//   models:/NAME/latest, models:/NAME@ALIAS  -> that version's download URI, itself resolved;
//   models:/<model_id>                        -> the logged model's artifact_uri;
//   runs:/RUN_ID/PATH                         -> the run's artifact_uri + "/" + PATH.
// Any other URI is returned unchanged. Throws Error(kNotFound) for unknown names, versions,
// stages or aliases, and kInvalidInput for malformed URIs.
std::string resolve_artifact_uri(const std::string& uri, Registry& registry,
                                 tracking::Store& store);

// The registered version a models:/NAME/VERSION|STAGE|latest or models:/NAME@ALIAS URI names
// now; nullopt for other URIs. Throws as resolve_artifact_uri does.
std::optional<ModelVersion> resolve_model_version(const std::string& uri, Registry& registry);

// The local folder holding an artifact URI's files when artifacts live in the folder
// `artifacts_root`: mlflow-artifacts:/P -> artifacts_root/P; file:// URIs and plain paths ->
// themselves. Throws Error(kInvalidInput) for remote schemes.
std::filesystem::path local_artifact_path(const std::string& artifact_uri,
                                          const std::filesystem::path& artifacts_root);

}  // namespace plinth::registry
