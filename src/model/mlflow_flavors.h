#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "model/package.h"

// MLflow models that the real client logged, read as packages without a conversion step:
// `mlflow.xgboost` (JSON or UBJSON model files of XGBoost 1.7 through 3.x) and `mlflow.lightgbm`
// (a Booster's text model, or an LGBMClassifier/LGBMRegressor in MLflow's default skops format).
// The inputs come from the model's feature names and the MLmodel signature's column types; a
// classifier's labels are its classes (XGBoost: 0..K-1, as XGBClassifier.predict returns them;
// LightGBM scikit-learn: classes_). Pickled models (mlflow.sklearn, cloudpickle) are refused with
// how to log them instead, since Plinth runs no Python.
namespace plinth::model {

// `root` is the parsed MLmodel of `dir`, which has no `plinth` flavor.
ModelPackage read_mlflow_model(const std::filesystem::path& dir, const YAML::Node& root);

}  // namespace plinth::model
