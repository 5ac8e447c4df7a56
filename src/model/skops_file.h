#pragma once

#include <filesystem>
#include <string>
#include <vector>

// The parts of a skops file (scikit-learn's safe serialization: a zip of schema.json and .npy
// arrays, what `mlflow.lightgbm.log_model` writes for LGBMClassifier/LGBMRegressor) that Plinth
// needs, read as data: nothing in it is executed.
namespace plinth::model {

struct SkopsLightgbm {
  std::string estimator;             // "LGBMClassifier" or "LGBMRegressor"
  std::string model_text;            // the booster in LightGBM's text format
  std::vector<std::string> classes;  // classifier: classes_ in order, as text
};

// Reads `file`. Throws Error(kInvalidInput) naming the file when it is not a skops file holding
// a lightgbm.sklearn estimator.
SkopsLightgbm read_skops_lightgbm(const std::filesystem::path& file);

}  // namespace plinth::model
