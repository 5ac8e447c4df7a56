#pragma once

// The model server's side of the feature store: a request names an entity (e.g. user_id) and
// carries the request-time fields; the rest of the model's inputs come from the online store
// through a feature service, exactly as /get-online-features would return them.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "features/online_store.h"

namespace plinth::features {

class OnlineFeatures {
 public:
  // Opens the feature repository (feature_store.yaml, the applied registry, the online store).
  explicit OnlineFeatures(const std::filesystem::path& repo);

  // Checks that `service` exists and that its views are keyed by `entity_key` (Error naming
  // what is wrong), so a model that cannot be enriched fails when it is loaded.
  void check(const std::string& service, const std::string& entity_key) const;

  // Adds the service's features to each row object of `rows` (one object or an array of them),
  // looked up by the row's `entity_key` value; fields the request already has are kept. Returns
  // one message per row that cannot be enriched (no entity key, or nothing stored for it),
  // each naming the row and the key; empty when every row was enriched. Throws
  // StoreUnavailable when the online store cannot be reached.
  struct Problem {
    size_t row;
    std::string message;
  };
  std::vector<Problem> enrich(const std::string& service, const std::string& entity_key,
                              nlohmann::json& rows);

 private:
  FeatureStoreConfig config_;
  Registry registry_;
  std::unique_ptr<OnlineStore> store_;
};

}  // namespace plinth::features
