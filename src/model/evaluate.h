#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/predictor.h"
#include "table/table.h"

// Model quality on labelled data: metrics.json, confusion_matrix.csv, roc.csv.
namespace plinth::model {

struct Evaluation {
  // Binary: accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss; multiclass: accuracy,
  // f1_macro, log_loss; regression: rmse, mae, r2. Plus "rows".
  nlohmann::json metrics;
  std::string confusion_csv;  // actual,predicted per row, class names (for `plots show`)
  std::string roc_csv;        // fpr,tpr,threshold as sklearn roc_curve(drop_intermediate=False)
};

// `y` from encode_target, `scores` from predictor.predict on the same rows.
Evaluation evaluate_scores(const Predictor& predictor, const std::vector<double>& y,
                           const Scores& scores);

// Scores `t` and evaluates against the package's target column (Error(kNotFound) without it).
Evaluation evaluate(const Predictor& predictor, const table::Table& t, const std::string& source);

// Writes metrics.json, confusion_matrix.csv and roc.csv (binary only) into `dir`, atomically.
void write_evaluation(const Evaluation& evaluation, const std::filesystem::path& dir);

}  // namespace plinth::model
