#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "table/table.h"

namespace plinth::monitor {

// A numeric column's values as doubles, NaN for nulls (bool as 0/1). Throws
// Error(kInvalidInput) naming the column, `source` and, for text, the first value and its row.
std::vector<double> numeric_values(const table::Column& c, const std::string& source);

// Binary classification quality as scikit-learn computes it (positive class 1; precision,
// recall and F1 are 0 where their denominator is, like zero_division=0).
struct BinaryQuality {
  size_t rows = 0;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;
  std::optional<double> roc_auc;  // when scores are given and both classes occur
};

// `labels` and `predicted` hold 0 or 1; `scores` (optional, same length) the probability of 1.
BinaryQuality binary_quality(std::span<const double> labels, std::span<const double> predicted,
                             std::span<const double> scores = {});

// Area under the ROC curve, ties counted half (sklearn roc_auc_score).
double roc_auc(std::span<const double> labels, std::span<const double> scores);

// Area under the precision-recall curve as sklearn's average_precision_score: the sum over
// distinct score thresholds, highest first, of precision times the recall gained.
double average_precision(std::span<const double> labels, std::span<const double> scores);

// sklearn log_loss of 0/1 `labels` against probabilities of 1, clipped to [eps, 1 - eps] with
// eps the float64 machine epsilon (sklearn's eps="auto" for float64 input).
double log_loss(std::span<const double> labels, std::span<const double> scores);

// sklearn log_loss for `classes` classes: `labels` hold class indices, `probabilities` one row
// of `classes` values per label (row-major); rows are clipped and renormalised like sklearn.
double multiclass_log_loss(std::span<const double> labels, std::span<const double> probabilities,
                           size_t classes);

// Macro-averaged F1 over the classes 0..classes-1 (sklearn f1_score(average="macro")).
double macro_f1(std::span<const double> labels, std::span<const double> predicted, size_t classes);

// Regression quality as sklearn's mean_squared_error (squared=False), mean_absolute_error and
// r2_score (1 - SSres/SStot; 0 when the target is constant and predictions are not perfect).
struct RegressionQuality {
  double rmse = 0, mae = 0, r2 = 0;
};
RegressionQuality regression_quality(std::span<const double> actual,
                                     std::span<const double> predicted);

// Quality of `prediction` against `target` in one table: rows where either is missing are left
// out. A prediction column of probabilities (floats in [0, 1]) is thresholded at 0.5 and also
// gives ROC AUC; one of 0/1 labels is used as is. Throws Error naming the column and file when
// the target is not binary or a column is missing.
BinaryQuality table_quality(const table::Table& t, const std::string& target,
                            const std::string& prediction, const std::string& file);

}  // namespace plinth::monitor
