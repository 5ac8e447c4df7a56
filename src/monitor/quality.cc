#include "monitor/quality.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace plinth::monitor {

std::vector<double> numeric_values(const table::Column& c, const std::string& source) {
  std::vector<double> v(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i)) {
      v[i] = NAN;
      continue;
    }
    switch (c.type) {
      case table::ColumnType::kFloat64:
        v[i] = c.f64[i];
        break;
      case table::ColumnType::kInt64:
        v[i] = static_cast<double>(c.i64[i]);
        break;
      case table::ColumnType::kBool:
        v[i] = c.b[i];
        break;
      case table::ColumnType::kString:
        throw Error(ErrorCode::kInvalidInput,
                    "column '" + c.name + "' in " + source + " must be numeric but holds '" +
                        std::string(c.string_at(i)) + "' at row " + std::to_string(i + 1) +
                        "; fix the value or the column");
      case table::ColumnType::kTimestamp:
        throw Error(ErrorCode::kInvalidInput, "column '" + c.name + "' in " + source +
                                                  " is a timestamp; derive numeric features "
                                                  "from it (hour, day) or leave it out");
    }
  }
  return v;
}

double roc_auc(std::span<const double> labels, std::span<const double> scores) {
  size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0, positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]] == 1) {
        positive_rank_sum += midrank;
        positives += 1;
      }
    i = j;
  }
  double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return NAN;
  return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

double average_precision(std::span<const double> labels, std::span<const double> scores) {
  size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double positives = 0;
  for (double y : labels) positives += y == 1;
  if (positives == 0) return NAN;
  double tp = 0, fp = 0, recall_before = 0, ap = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    for (; j < n && scores[order[j]] == scores[order[i]]; ++j)
      (labels[order[j]] == 1 ? tp : fp) += 1;
    double recall = tp / positives;
    ap += (recall - recall_before) * (tp / (tp + fp));
    recall_before = recall;
    i = j;
  }
  return ap;
}

namespace {
constexpr double kLogLossEps = 2.220446049250313e-16;
}

double log_loss(std::span<const double> labels, std::span<const double> scores) {
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double p = std::clamp(scores[i], kLogLossEps, 1 - kLogLossEps);
    double sum = (1 - p) + p;
    total -= std::log((labels[i] == 1 ? p : 1 - p) / sum);
  }
  return labels.empty() ? NAN : total / static_cast<double>(labels.size());
}

double multiclass_log_loss(std::span<const double> labels, std::span<const double> probabilities,
                           size_t classes) {
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double sum = 0, mine = 0;
    for (size_t k = 0; k < classes; ++k) {
      double p = std::clamp(probabilities[i * classes + k], kLogLossEps, 1 - kLogLossEps);
      sum += p;
      if (k == static_cast<size_t>(labels[i])) mine = p;
    }
    total -= std::log(mine / sum);
  }
  return labels.empty() ? NAN : total / static_cast<double>(labels.size());
}

double macro_f1(std::span<const double> labels, std::span<const double> predicted, size_t classes) {
  std::vector<double> tp(classes), fp(classes), fn(classes);
  for (size_t i = 0; i < labels.size(); ++i) {
    auto y = static_cast<size_t>(labels[i]), p = static_cast<size_t>(predicted[i]);
    if (y == p) {
      tp[y] += 1;
    } else {
      fn[y] += 1;
      fp[p] += 1;
    }
  }
  double sum = 0;
  for (size_t k = 0; k < classes; ++k) {
    double d = 2 * tp[k] + fp[k] + fn[k];
    sum += d > 0 ? 2 * tp[k] / d : 0;
  }
  return classes ? sum / static_cast<double>(classes) : 0;
}

RegressionQuality regression_quality(std::span<const double> actual,
                                     std::span<const double> predicted) {
  RegressionQuality q;
  double n = static_cast<double>(actual.size());
  if (actual.empty()) return q;
  double mean = std::accumulate(actual.begin(), actual.end(), 0.0) / n;
  double ss_res = 0, ss_tot = 0, abs_sum = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    double e = actual[i] - predicted[i];
    ss_res += e * e;
    abs_sum += std::fabs(e);
    ss_tot += (actual[i] - mean) * (actual[i] - mean);
  }
  q.rmse = std::sqrt(ss_res / n);
  q.mae = abs_sum / n;
  q.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
  return q;
}

BinaryQuality binary_quality(std::span<const double> labels, std::span<const double> predicted,
                             std::span<const double> scores) {
  BinaryQuality q;
  q.rows = labels.size();
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    bool y = labels[i] == 1, p = predicted[i] == 1;
    (y ? (p ? tp : fn) : (p ? fp : tn)) += 1;
  }
  double n = static_cast<double>(q.rows);
  q.accuracy = n > 0 ? (tp + tn) / n : 0;
  q.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  q.recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  q.f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
  if (!scores.empty() && tp + fn > 0 && tn + fp > 0) q.roc_auc = roc_auc(labels, scores);
  return q;
}

BinaryQuality table_quality(const table::Table& t, const std::string& target,
                            const std::string& prediction, const std::string& file) {
  for (const auto& name : {target, prediction})
    if (!t.find(name)) throw Error(ErrorCode::kNotFound, "column '" + name + "' is not in " + file);
  std::vector<double> y = numeric_values(t.column(target), file);
  std::vector<double> p = numeric_values(t.column(prediction), file);
  bool probabilities = t.column(prediction).type == table::ColumnType::kFloat64;
  std::vector<double> labels, predicted, scores;
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i]) || std::isnan(p[i])) continue;
    if (y[i] != 0 && y[i] != 1)
      throw Error(ErrorCode::kInvalidInput,
                  "column '" + target + "' in " + file + " holds " + std::to_string(y[i]) +
                      " at row " + std::to_string(i + 1) + "; the target must be a 0/1 label");
    if (probabilities && (p[i] < 0 || p[i] > 1))
      throw Error(ErrorCode::kInvalidInput, "column '" + prediction + "' in " + file + " holds " +
                                                std::to_string(p[i]) + " at row " +
                                                std::to_string(i + 1) +
                                                "; a prediction is a 0/1 label or a probability");
    labels.push_back(y[i]);
    predicted.push_back(probabilities ? (p[i] >= 0.5 ? 1.0 : 0.0) : p[i]);
    if (probabilities) scores.push_back(p[i]);
  }
  return binary_quality(labels, predicted, scores);
}

}  // namespace plinth::monitor
