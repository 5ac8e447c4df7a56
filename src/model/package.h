#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "table/table.h"

// The model package (spec model-package.md): one directory that training writes and that
// scoring, serving and monitoring read. Its MLmodel file follows MLflow's layout; everything
// Plinth needs beyond MLflow's xgboost flavor sits in the `plinth` flavor.
namespace plinth::model {

enum class Task { kBinary, kMulticlass, kRegression };
// "binary_classification", "multiclass_classification", "regression".
std::string task_name(Task task);
Task parse_task(const std::string& name);

// How one input column becomes features, in the order the booster sees them.
struct FeatureSpec {
  enum class Kind { kNumeric, kStandardized, kOneHot, kOrdinal };
  std::string column;
  Kind kind = Kind::kNumeric;
  table::ColumnType type = table::ColumnType::kFloat64;  // the column's type in training
  std::vector<std::string> categories;  // one_hot, ordinal: the vocabulary frozen at training
  double mean = 0, scale = 1;           // standardized: (x - mean) / scale
  std::optional<double> missing;        // numeric: the declared default for a null; else NaN
};

// Declared bounds of one input (`gt`, `ge`, `lt`, `le`, `in`).
struct Constraint {
  std::optional<double> gt, ge, lt, le;
  std::vector<std::string> in;
  // Whether a number satisfies the bounds and, when there is one, the `in` list.
  bool allows(double value) const;
  bool allows(std::string_view value) const;
  // "gt 0", "ge 0 and le 23": for error messages.
  std::string describe() const;
};

struct Outputs {
  std::string label;        // e.g. is_fraud
  std::string probability;  // e.g. fraud_probability (classification only)
  double threshold = 0.5;   // binary: probability at or above which the label is the 2nd class
};

struct TrainingData {
  std::string path, md5;
  size_t rows = 0;
};

// `features: {service: NAME, entity_key: user_id}` in the plinth flavor: `plinth serve` reads
// the service's features from the online store by the request's entity key.
struct FeatureLookup {
  std::string service, entity_key;
};

struct ModelPackage {
  // "xgboost", "rules", or "lightgbm" (an MLflow lightgbm model; see mlflow_flavors.h)
  std::string flavor;
  Task task = Task::kBinary;
  std::string algorithm;  // gbt, rf, linear, rules
  std::string target;
  table::ColumnType target_type = table::ColumnType::kInt64;
  // Classification: the target's values in class-index order, as text.
  std::vector<std::string> classes;
  Outputs outputs;
  std::vector<FeatureSpec> preprocessing;
  std::map<std::string, Constraint> constraints;
  std::map<std::string, std::string> params;
  TrainingData training_data;
  std::optional<FeatureLookup> features;
  std::string run_id, model_uuid, created;
  std::string xgb_version;
  // The model itself: XGBoost JSON (flavor xgboost) or the rule expression (flavor rules).
  std::string model_json;
  std::string rule;
  std::string lightgbm_model;  // flavor lightgbm: LightGBM's text model

  // The input columns the model needs, in signature order.
  std::vector<std::string> input_columns() const;
  // The output columns scoring writes: the label, then the probability (binary) or one
  // probability per class ("<probability>_<class>", multiclass).
  table::Schema output_schema() const;
};

// Extra JSON files written next to MLmodel (profile.json, input_example.json, metrics.json).
using PackageFiles = std::map<std::string, std::string>;

// Writes the package into a temporary sibling of `dir` and renames it into place, so a reader
// sees the whole package or none. An existing `dir` is replaced only when `replace` is set;
// otherwise Error(kConflict).
void write_package(const ModelPackage& package, const PackageFiles& files,
                   const std::filesystem::path& dir, bool replace);

// Reads MLmodel and the model file. Throws Error naming the file and field at fault. An MLflow
// model without the `plinth` flavor is read by read_mlflow_model (mlflow_flavors.h).
ModelPackage read_package(const std::filesystem::path& dir);

}  // namespace plinth::model
