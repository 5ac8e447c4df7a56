#pragma once

#include <string>
#include <vector>

#include "model/tree_engine.h"

// LightGBM's text model format (Booster.save_model, model_to_string) as a neutral tree ensemble
// for the compiled engine. Semantics follow LightGBM's Tree::Decision: numeric splits go left
// when x <= threshold; decision_type bit 0 marks a categorical split (a bitset of categories
// going left), bit 1 the default-left direction, bits 2-3 the missing type (None: NaN counts
// as 0.0; Zero: 0 and NaN go the default way; NaN: NaN goes the default way).
namespace plinth::model {

struct LightgbmModel {
  TreeEnsembleSpec spec;  // transformed: sigmoid (binary), softmax (multiclass) or identity
  std::string objective;  // the first word of the objective line: binary, multiclass, regression
  size_t num_class = 1;
  std::vector<std::string> feature_names;
  // Features trained from pandas categorical columns: their index and categories in code order.
  std::vector<size_t> categorical_features;
  std::vector<std::vector<std::string>> categories;
};

// Parses the text model. Throws Error(kInvalidInput) naming `source` and what is not supported
// (linear trees, objectives whose output is not a sum, sigmoid or softmax).
LightgbmModel read_lightgbm_model(const std::string& text, const std::string& source);

}  // namespace plinth::model
