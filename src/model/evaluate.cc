#include "model/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/file_io.h"
#include "monitor/quality.h"

namespace plinth::model {
namespace {

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string roc_csv(const std::vector<double>& y, const std::vector<double>& scores) {
  std::vector<size_t> order(y.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double positives = std::count(y.begin(), y.end(), 1.0);
  double negatives = static_cast<double>(y.size()) - positives;
  std::string out = "fpr,tpr,threshold\n";
  if (order.empty()) return out;
  out += "0,0," + number_text(scores[order[0]] + 1) + "\n";
  double tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j)
      (y[order[j]] == 1 ? tp : fp) += 1;
    out += number_text(negatives > 0 ? fp / negatives : NAN) + "," +
           number_text(positives > 0 ? tp / positives : NAN) + "," + number_text(scores[order[i]]) +
           "\n";
    i = j;
  }
  return out;
}

}  // namespace

Evaluation evaluate_scores(const Predictor& predictor, const std::vector<double>& y,
                           const Scores& s) {
  const ModelPackage& p = predictor.package();
  Evaluation e;
  e.metrics["rows"] = y.size();
  auto put = [&](const char* name, double v) {
    e.metrics[name] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  if (p.task == Task::kRegression) {
    auto q = monitor::regression_quality(y, s.values);
    put("rmse", q.rmse);
    put("mae", q.mae);
    put("r2", q.r2);
    return e;
  }
  std::vector<double> predicted = predictor.predicted_classes(s);
  e.confusion_csv = "actual,predicted\n";
  for (size_t i = 0; i < y.size(); ++i)
    e.confusion_csv += p.classes[static_cast<size_t>(y[i])] + "," +
                       p.classes[static_cast<size_t>(predicted[i])] + "\n";
  if (p.task == Task::kMulticlass) {
    double correct = 0;
    for (size_t i = 0; i < y.size(); ++i) correct += y[i] == predicted[i];
    put("accuracy", y.empty() ? NAN : correct / static_cast<double>(y.size()));
    put("f1_macro", monitor::macro_f1(y, predicted, p.classes.size()));
    put("log_loss", monitor::multiclass_log_loss(y, s.values, p.classes.size()));
    return e;
  }
  auto q = monitor::binary_quality(y, predicted, s.values);
  put("accuracy", q.accuracy);
  put("precision", q.precision);
  put("recall", q.recall);
  put("f1", q.f1);
  put("roc_auc", q.roc_auc.value_or(NAN));
  put("pr_auc", monitor::average_precision(y, s.values));
  put("log_loss", monitor::log_loss(y, s.values));
  e.roc_csv = roc_csv(y, s.values);
  return e;
}

Evaluation evaluate(const Predictor& predictor, const table::Table& t, const std::string& source) {
  const std::string& target = predictor.package().target;
  if (!t.find(target))
    throw Error(ErrorCode::kNotFound, source + " lacks the target column '" + target +
                                          "'; evaluation needs labelled data");
  std::vector<double> y = encode_target(predictor.package(), t.column(target), source);
  return evaluate_scores(predictor, y, predictor.predict(t, source));
}

void write_evaluation(const Evaluation& e, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  core::write_file_atomic(dir / "metrics.json", e.metrics.dump(2) + "\n");
  if (!e.confusion_csv.empty())
    core::write_file_atomic(dir / "confusion_matrix.csv", e.confusion_csv);
  if (!e.roc_csv.empty()) core::write_file_atomic(dir / "roc.csv", e.roc_csv);
}

}  // namespace plinth::model
