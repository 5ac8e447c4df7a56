#include "serving/metrics.h"

#include <algorithm>
#include <cmath>

#include "core/prometheus_text.h"

namespace plinth::serving {
using core::prometheus_label;
using core::prometheus_number;

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::string sep = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? prometheus_number(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + prometheus_number(sum_.load()) + "\n";
  out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

Metrics::Metrics()
    : confidence_({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99}),
      duration_({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                 1, 2.5}) {}

void Metrics::set_model(const std::string& name, const std::string& version,
                        const std::string& engine,
                        const std::map<std::string, std::vector<std::string>>& categories) {
  std::lock_guard lock(mutex_);
  info_labels_ = "model=\"" + prometheus_label(name) + "\",version=\"" + prometheus_label(version) +
                 "\",engine=\"" + prometheus_label(engine) + "\"";
  vocabulary_ = categories;
}

void Metrics::record_request(std::string_view path, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(path), status}];
}

void Metrics::record_reload(bool ok) {
  std::lock_guard lock(mutex_);
  ++reloads_[ok ? "success" : "failure"];
}

void Metrics::record_batch(const ScoredBatch& batch) {
  duration_.observe(batch.seconds);
  for (double c : batch.confidences) confidence_.observe(c);
  std::lock_guard lock(mutex_);
  for (const auto& o : batch.outcomes) ++predictions_[o];
  for (const auto& [feature, n] : batch.unknown) unknown_[feature] += n;
  if (!batch.inputs) return;
  for (const auto& c : batch.inputs->columns()) {
    if (c.type == table::ColumnType::kString) {
      auto vocab = vocabulary_.find(c.name);
      if (vocab == vocabulary_.end()) continue;
      auto& counts = categories_[c.name];
      for (size_t i = 0; i < c.size(); ++i) {
        if (c.is_null(i)) continue;
        std::string_view v = c.string_at(i);
        if (std::binary_search(vocab->second.begin(), vocab->second.end(), v))
          ++counts[std::string(v)];
      }
      continue;
    }
    Summary& s = inputs_[c.name];
    for (size_t i = 0; i < c.size(); ++i) {
      if (c.is_null(i)) continue;
      double v = c.type == table::ColumnType::kFloat64 ? c.f64[i]
                 : c.type == table::ColumnType::kBool  ? c.b[i]
                                                       : static_cast<double>(c.i64[i]);
      s.sum += v;
      ++s.count;
    }
  }
}

std::string Metrics::render(const std::string& extra) const {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  std::lock_guard lock(mutex_);
  family("model_info", "gauge", "The model being served (always 1).");
  out += "model_info{" + info_labels_ + "} 1\n";
  family("http_requests_total", "counter", "HTTP requests by route and status code.");
  for (const auto& [key, n] : requests_)
    out += "http_requests_total{path=\"" + prometheus_label(key.first) + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  family("model_predictions_total", "counter", "Rows scored, by predicted outcome.");
  for (const auto& [outcome, n] : predictions_)
    out += "model_predictions_total{outcome=\"" + prometheus_label(outcome) + "\"} " +
           std::to_string(n) + "\n";
  family("model_prediction_confidence", "histogram",
         "Predicted probability of the positive class (binary) or of the predicted class.");
  confidence_.render(out, "model_prediction_confidence", "");
  family("model_inference_duration_seconds", "histogram",
         "Time spent in the model per scoring call (preprocessing and prediction).");
  duration_.render(out, "model_inference_duration_seconds", "");
  family("model_unknown_category_total", "counter",
         "Input values outside the category vocabulary frozen at training, by feature.");
  for (const auto& [feature, n] : unknown_)
    out += "model_unknown_category_total{feature=\"" + prometheus_label(feature) + "\"} " +
           std::to_string(n) + "\n";
  family("model_feature_value", "summary", "Values of each numeric input feature received.");
  for (const auto& [feature, s] : inputs_) {
    std::string l = "{feature=\"" + prometheus_label(feature) + "\"}";
    out += "model_feature_value_sum" + l + " " + prometheus_number(s.sum) + "\n";
    out += "model_feature_value_count" + l + " " + std::to_string(s.count) + "\n";
  }
  family("model_feature_category_total", "counter",
         "Values of each categorical input feature received, by known category.");
  for (const auto& [feature, counts] : categories_)
    for (const auto& [category, n] : counts)
      out += "model_feature_category_total{feature=\"" + prometheus_label(feature) +
             "\",category=\"" + prometheus_label(category) + "\"} " + std::to_string(n) + "\n";
  family("model_reloads_total", "counter", "Model reloads after a registry change, by result.");
  for (const auto& [result, n] : reloads_)
    out += "model_reloads_total{result=\"" + result + "\"} " + std::to_string(n) + "\n";
  out += extra;
  return out;
}

}  // namespace plinth::serving
