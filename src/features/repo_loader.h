#pragma once

// Reading a feature repository's YAML definitions into a validated Registry, and comparing two
// registries (what `plinth features plan` shows and `apply` does).
//
// Layout: every *.yaml / *.yml file under the repository folder (hidden folders and data/
// skipped; feature_store.yaml excluded) is read; each YAML document in it that has a top-level
// `kind:` is one object: Entity, FileSource, PushSource, FeatureView or FeatureService (Feast's
// class names, with the same keyword arguments as keys). Documents without `kind` (dvc.yaml,
// params.yaml) are not definitions and are ignored.

#include <string>
#include <vector>

#include "features/definitions.h"

namespace plinth::features {

// Parses and validates the definitions of the repository `config` describes, the way Feast's
// `apply` does: duplicate names, unknown entities or sources, a schema field or join key
// missing from the source file, types the source cannot hold, bad durations. Each error names
// the file and line of the definition and says what to do (Error(kInvalidInput)).
Registry load_definitions(const FeatureStoreConfig& config);

struct RegistryChange {
  enum class Action { kCreate, kUpdate, kDelete };
  Action action;
  std::string kind;  // "entity", "data source", "feature view", "feature service"
  std::string name;
  std::vector<std::string> details;  // for updates: the fields that changed, "ttl: 1d -> 2d"
};

// What turning `before` into `after` changes, in kind order then name order.
std::vector<RegistryChange> diff_registries(const Registry& before, const Registry& after);

}  // namespace plinth::features
