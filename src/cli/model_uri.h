#pragma once

#include <filesystem>
#include <string>

#include "registry/model_source.h"

namespace plinth::cli {

// The local folder holding the model a models:/NAME/STAGE|VERSION|latest, models:/NAME@ALIAS or
// runs:/RUN_ID/PATH URI names, looked up in the tracking store the environment selects
// (PLINTH_TRACKING_URI, MLFLOW_TRACKING_URI, else the project's mlruns.db) and downloaded when
// its artifacts are not in a local folder.
std::filesystem::path resolve_model_folder(const std::string& uri);

// A model URI resolved: its folder, and for registry URIs the registered name and version
// now behind it (empty otherwise).
using ResolvedModel = registry::ResolvedModel;
ResolvedModel resolve_model(const std::string& uri);

// Whether `text` is such a URI rather than a path.
bool is_model_uri(const std::string& text);

}  // namespace plinth::cli
