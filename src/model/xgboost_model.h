#pragma once

#include <string>
#include <vector>

// XGBoost model files as XGBoost 1.7 through 3.x write them (JSON or UBJSON), brought to the
// JSON layout that the compiled engine (tree_engine.h) and Debian's libxgboost 1.7 both read.
namespace plinth::model {

struct XgbModelFile {
  std::string json;  // the model in XGBoost 1.7's JSON layout
  std::string objective;
  size_t num_class = 0;                    // 0 for binary and regression
  std::vector<std::string> feature_names;  // empty when trained without names
  std::string version;                     // "3.1.3": the XGBoost that wrote the file
};

// Reads `bytes` (UBJSON when `ubj`, else JSON). XGBoost 2.x/3.x differences handled: a base_score
// written as an array ("[5E-1]"), a per-class intercept vector (folded into the first tree of
// each class, which leaves XGBoost's order of float additions unchanged). Refused with
// Error(kInvalidInput) naming `source`: multi-target trees and categorical features.
XgbModelFile read_xgboost_model(const std::string& bytes, bool ubj, const std::string& source);

}  // namespace plinth::model
