#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/evaluate.h"
#include "model/package.h"
#include "model/preprocess.h"

// `plinth train` and `plinth baseline`: split, fit, evaluate, package.
namespace plinth::model {

struct TrainOptions {
  std::filesystem::path data;
  std::string target;
  std::string algorithm = "gbt";  // gbt, rf, linear, rules
  std::optional<Task> task;       // default: from the target (see docs/models.md)
  // Model parameters (xgboost_flavor.h names); the rest of TrainOptions comes from the same
  // params section (load_train_params).
  std::map<std::string, std::string> params;
  std::vector<std::string> features;  // empty: every usable column but the target
  std::map<std::string, Constraint> constraints;
  std::string rule;  // rules flavor; empty: learned (learn_rule)
  PreprocessOptions preprocess;
  std::optional<bool> standardize;  // default: on for linear, off for trees
  Outputs outputs;                  // empty names: defaults from the target
  double test_size = 0.2;
  uint64_t seed = 42;
  size_t threads = 1;
  std::string run_id;
};

// Reads SECTION of the YAML file into `options`: algo, task, features, constraints, rule,
// categorical (one_hot|ordinal), standardize, missing, outputs, threshold; every other key is
// a model parameter. Throws Error naming the file and key.
void load_train_params(const std::filesystem::path& file, const std::string& section,
                       TrainOptions& options);

struct TrainResult {
  ModelPackage package;
  PackageFiles files;     // profile.json, input_example.json, metrics.json
  Evaluation evaluation;  // on the held-out split
  size_t train_rows = 0, test_rows = 0;
  double fit_seconds = 0;
  double score_us_per_row = 0;               // compiled engine, one thread, on the held-out split
  std::vector<std::string> skipped_columns;  // with the reason, for the log
};

// Reads options.data, splits it (stratified by class for classification, by `seed`), fits on
// the training part and evaluates on the rest. Throws Error for a missing target, a target
// with one class, an empty file or non-numeric values in a numeric column.
TrainResult train(const TrainOptions& options);

// input_example.json: the first five rows of `t`'s input columns in `dataframe_split` form.
std::string input_example(const ModelPackage& package, const table::Table& t);
// The probability column a target is answered with: is_fraud -> fraud_probability.
std::string default_probability_name(const std::string& target);

// One level of `plinth baseline`.
struct LadderStep {
  std::string algorithm;
  std::string metric;  // roc_auc (binary), f1_macro (multiclass), rmse (regression)
  double value = 0;
  double f1 = 0;  // classification
  double score_us_per_row = 0;
  size_t model_bytes = 0;
  double fit_seconds = 0;
};
// Trains each algorithm of `algorithms` with the same split and reports the ladder.
std::vector<LadderStep> baseline(TrainOptions options, const std::vector<std::string>& algorithms);

}  // namespace plinth::model
