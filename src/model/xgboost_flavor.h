#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/package.h"
#include "model/preprocess.h"

// Training and reference prediction through XGBoost's C API. XGBoost is the reference; batch
// scoring normally uses the compiled trees (tree_engine.h) and keeps this as the fallback.
namespace plinth::model {

struct XgbTrainOptions {
  Task task = Task::kBinary;
  size_t num_class = 2;
  std::string algorithm = "gbt";  // gbt, rf (random-forest mode), linear (gblinear)
  // Parameters as a user writes them: scikit-learn names (n_estimators, max_depth,
  // learning_rate, subsample, colsample_bytree, reg_lambda, reg_alpha, min_child_weight) or
  // XGBoost's own, which pass through. Defaults per algorithm are in docs/models.md.
  std::map<std::string, std::string> params;
  int nthread = 1;
  uint64_t seed = 42;
};

// The parameters training actually used, defaults filled in (recorded in MLmodel).
std::map<std::string, std::string> effective_params(const XgbTrainOptions& options);

// Fits a booster on `x` (labels: class index or target value) and returns it in XGBoost's
// JSON model format. Throws Error(kInternal) with XGBoost's message when it refuses.
std::string train_xgboost(const FeatureMatrix& x, const std::vector<float>& labels,
                          const XgbTrainOptions& options);

// "1.7.4".
std::string xgboost_version();

// A loaded booster. predict() is safe from several threads once constructed.
class XgbBooster {
 public:
  XgbBooster(const std::string& model_json, int nthread);
  ~XgbBooster();
  XgbBooster(const XgbBooster&) = delete;
  XgbBooster& operator=(const XgbBooster&) = delete;
  // Transformed predictions: probabilities of class 1 (binary), rows x classes probabilities
  // (multiclass), values (regression).
  std::vector<float> predict(const FeatureMatrix& x) const;

 private:
  void* handle_ = nullptr;
};

}  // namespace plinth::model
